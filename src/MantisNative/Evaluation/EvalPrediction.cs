namespace MantisNative.Evaluation;

/// <summary>One evaluated record: what was asked, the reference, the model's raw output, what scoring read from it, and the verdict.</summary>
public sealed record EvalPrediction(
    string Id, string Skill, string Family, string Question, string Reference, string Prediction, string Parsed, bool Correct,
    IReadOnlyList<string> Options, double Seconds);
