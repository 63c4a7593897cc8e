namespace MantisNative.Evaluation;

/// <summary>Progress of a running evaluation.</summary>
public sealed record EvalProgress(int Done, int Total, int Correct, double Seconds);

/// <summary>Settings of <see cref="Evaluator.Run"/>.</summary>
public sealed record EvalOptions
{
    /// <summary>Longest answer; short exact answers ("red", "2", "true") need a few tokens plus the end of turn.</summary>
    public int MaxNewTokens { get; init; } = 16;

    /// <summary>Evaluate only the first N records; null = all.</summary>
    public int? Limit { get; init; }

    /// <summary>
    /// Records answered side by side. 0 = automatic: every core for a small model (its batch-1 ops are too small to
    /// spread over cores, so records are spread instead), 1 for a large one (whose ops use the cores themselves).
    /// Greedy decoding makes the result independent of this.
    /// </summary>
    public int Parallelism { get; init; }

    /// <summary>Write every prediction to this JSONL file; null = do not write.</summary>
    public string? PredictionsPath { get; init; }

    /// <summary>Chance accuracy per family (e.g. from dataset_info.json); families not in it use 1 / number of options.</summary>
    public IReadOnlyDictionary<string, double>? ChanceByFamily { get; init; }

    /// <summary>Called after each record (from worker threads, one call at a time).</summary>
    public Action<EvalProgress>? Progress { get; init; }
}
