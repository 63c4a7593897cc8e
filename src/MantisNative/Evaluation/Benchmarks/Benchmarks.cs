namespace MantisNative.Evaluation.Benchmarks;

/// <summary>The five benchmarks of the paper by their --benchmark names.</summary>
public static class BenchmarkCatalog
{
    public static readonly IReadOnlyList<IBenchmark> All = new IBenchmark[]
    {
        new Nlvr2Benchmark(), new QBench2Benchmark(), new MantisEvalBenchmark(), new BlinkBenchmark(), new MvBenchBenchmark(),
    };

    public static IBenchmark Get(string name) =>
        All.FirstOrDefault(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new MantisException($"unknown benchmark '{name}': expected one of {string.Join(", ", All.Select(b => b.Name))}");

    /// <summary>Plain mean of the verdicts (0 for none).</summary>
    public static double Mean(IReadOnlyList<(BenchmarkItem Item, bool Correct)> results) =>
        results.Count == 0 ? 0 : results.Count(r => r.Correct) / (double)results.Count;
}
