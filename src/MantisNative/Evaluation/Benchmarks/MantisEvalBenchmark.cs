namespace MantisNative.Evaluation.Benchmarks;

/// <summary>
/// Mantis-Eval as TIGER-Lab/Mantis-Eval (config mantis_eval, split test: 217 rows) publishes it: parquet with two or
/// more embedded images, &lt;image&gt; tags in the question, multiple-choice and short-answer questions.
/// </summary>
public sealed class MantisEvalBenchmark : IBenchmark
{
    public string Name => "mantis-eval";
    public string Title => "Mantis-Eval";
    public PaperScores Paper { get; } = new(59.45, 48.85, 23.04);

    public IReadOnlyList<BenchmarkItem> Read(string dataDir)
    {
        BenchmarkFiles.RequireFolder(dataDir, Title);
        var files = BenchmarkFiles.SplitParquet(dataDir, "test", "TIGER-Lab/Mantis-Eval's mantis_eval/test-00000-of-00001.parquet");
        return HarnessRecords.FromParquet(files, null, "mantis-eval");
    }

    public BenchmarkScore Score(BenchmarkItem item, string raw) => item.Kind == AnswerKind.MultipleChoice
        ? MantisHarnessScoring.MultipleChoice(raw, item.Reference, item.Options, nlvr2: false)
        : MantisHarnessScoring.ShortAnswer(raw, item.Reference);

    public double Overall(IReadOnlyList<(BenchmarkItem Item, bool Correct)> results) => BenchmarkCatalog.Mean(results);
}
