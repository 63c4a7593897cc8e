using System.Globalization;
using System.Text;

namespace MantisNative.Evaluation.Benchmarks;

/// <summary>One scored item as the JSONL writes it.</summary>
public sealed record BenchmarkAnswer(string Id, string Category, string Prompt, string Output, string Parsed, string Reference, bool Correct);

/// <summary>Accuracy of one category (or of the whole benchmark).</summary>
public sealed record CategoryAccuracy(string Name, int Count, int Correct)
{
    public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;
}

/// <summary>A finished benchmark run: the headline score beside the paper's, per-category accuracy, timing.</summary>
public sealed record BenchmarkResult
{
    public required IBenchmark Benchmark { get; init; }
    /// <summary>The benchmark's own overall metric (BLINK: macro mean over subtasks), 0..1.</summary>
    public required double Overall { get; init; }
    public required int Count { get; init; }
    public required int Correct { get; init; }
    public required IReadOnlyList<CategoryAccuracy> Categories { get; init; }
    public required IReadOnlyList<BenchmarkAnswer> Answers { get; init; }
    /// <summary>Items answered in this run (the rest came from --resume).</summary>
    public required int Generated { get; init; }
    public required double Seconds { get; init; }

    public string ToTable()
    {
        var sb = new StringBuilder();
        int w = Math.Max(8, Categories.Select(c => c.Name.Length).DefaultIfEmpty(0).Max());
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"category".PadRight(w)}  {"n",6}  {"correct",7}  {"accuracy",8}");
        foreach (var c in Categories)
            sb.AppendLine(CultureInfo.InvariantCulture, $"{c.Name.PadRight(w)}  {c.Count,6}  {c.Correct,7}  {Pct(c.Accuracy),8}");
        sb.AppendLine(new string('-', w + 27));
        var p = Benchmark.Paper;
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"{Benchmark.Title}: ours {Pct(Overall)} on {Count} items ({Correct} correct) | paper: Mantis-SigLIP {p.MantisSiglip:F2} %, Idefics2-8B {p.Idefics2:F2} %, random {p.Random:F2} %");
        return sb.ToString();
    }

    public static string Pct(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture) + " %";
}
