namespace MantisNative.Evaluation.Benchmarks;

/// <summary>The paper's scores on one benchmark (Mantis paper, Table 2/3), in percent.</summary>
public sealed record PaperScores(double MantisSiglip, double Idefics2, double Random);

/// <summary>One of the paper's benchmarks: where its files are, how its prompts are built and its answers scored.</summary>
public interface IBenchmark
{
    /// <summary>The --benchmark name (nlvr2, qbench2, mantis-eval, blink, mvbench).</summary>
    string Name { get; }
    string Title { get; }
    PaperScores Paper { get; }

    /// <summary>Every item of the local copy at <paramref name="dataDir"/> in the published layout; a missing file or column is a <see cref="MantisException"/> naming it.</summary>
    IReadOnlyList<BenchmarkItem> Read(string dataDir);

    /// <summary>The reference harness's verdict on a raw model output.</summary>
    BenchmarkScore Score(BenchmarkItem item, string raw);

    /// <summary>The benchmark's headline accuracy (0..1) from per-item verdicts: a plain mean, except BLINK's macro mean over subtasks.</summary>
    double Overall(IReadOnlyList<(BenchmarkItem Item, bool Correct)> results);
}
