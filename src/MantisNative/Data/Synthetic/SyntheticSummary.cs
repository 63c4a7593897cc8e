namespace MantisNative.Data.Synthetic;

/// <summary>Counts of one generated split, per family, and the chance accuracy of a uniform guess among each question's options.</summary>
public sealed class SplitSummary
{
    public required string Name { get; init; }
    public required int Examples { get; init; }
    public required int Images { get; init; }
    public required IReadOnlyDictionary<string, int> PerFamily { get; init; }
    public required IReadOnlyDictionary<string, double> ChancePerFamily { get; init; }
}

public sealed class SyntheticSummary
{
    public required string OutputDir { get; init; }
    public required SplitSummary Train { get; init; }
    public required SplitSummary HeldOut { get; init; }
    public required double Seconds { get; init; }
}
