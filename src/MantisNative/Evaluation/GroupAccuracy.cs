namespace MantisNative.Evaluation;

/// <summary>Accuracy of one group of predictions (a task family, a skill, or everything) beside a uniform guess's.</summary>
/// <param name="Chance">expected accuracy of a uniform guess among each question's options; null when unknown</param>
public sealed record GroupAccuracy(string Name, int Count, int Correct, double? Chance)
{
    /// <summary>Correct / Count (0 for an empty group).</summary>
    public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;
}
