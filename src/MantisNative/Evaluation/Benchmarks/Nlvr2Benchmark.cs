namespace MantisNative.Evaluation.Benchmarks;

/// <summary>
/// NLVR2 test-public as TIGER-Lab/NLVR2 (config nlvr2, split test: 6,967 rows) publishes it: parquet with two embedded
/// images, the statement question, options "(A) True"/"(B) False" already shuffled (seed 42) and the answer letter.
/// Scored by the Mantis harness with its NLVR2 true/false fallback.
/// </summary>
public sealed class Nlvr2Benchmark : IBenchmark
{
    public string Name => "nlvr2";
    public string Title => "NLVR2 test-public";
    public PaperScores Paper { get; } = new(87.4, 86.9, 48.93);

    public IReadOnlyList<BenchmarkItem> Read(string dataDir)
    {
        BenchmarkFiles.RequireFolder(dataDir, Title);
        var files = BenchmarkFiles.SplitParquet(dataDir, "test", "TIGER-Lab/NLVR2's nlvr2/test-00000-of-00001.parquet");
        return HarnessRecords.FromParquet(files, HarnessRecords.MultiChoice, "logical reasoning");
    }

    public BenchmarkScore Score(BenchmarkItem item, string raw) =>
        MantisHarnessScoring.MultipleChoice(raw, item.Reference, item.Options, nlvr2: true);

    public double Overall(IReadOnlyList<(BenchmarkItem Item, bool Correct)> results) => BenchmarkCatalog.Mean(results);
}
