using MantisNative.Data.Images;

namespace MantisNative.Evaluation.Benchmarks;

/// <summary>How a benchmark item's answer is scored.</summary>
public enum AnswerKind { MultipleChoice, ShortAnswer }

/// <summary>
/// One benchmark question, ready to ask: the user message exactly as the reference harness builds it (with one
/// &lt;image&gt; tag per image), the reference answer as the data set writes it, and how to load its images or frames.
/// </summary>
public sealed record BenchmarkItem
{
    public required string Id { get; init; }
    /// <summary>What per-category accuracy groups by: Mantis-Eval's category, BLINK's subtask, MVBench's task type.</summary>
    public required string Category { get; init; }
    public required AnswerKind Kind { get; init; }
    /// <summary>The user message (the prompt), &lt;image&gt; tags included.</summary>
    public required string Prompt { get; init; }
    /// <summary>The options as the data set lists them (MVBench: the candidates; BLINK: the choices).</summary>
    public IReadOnlyList<string> Options { get; init; } = Array.Empty<string>();
    /// <summary>The reference as the data set writes it ("B", "(A)", "A. text", a short answer).</summary>
    public required string Reference { get; init; }
    public required int ImageCount { get; init; }
    /// <summary>Decodes the images (or video frames) when the item is asked, so a whole benchmark is not held decoded.</summary>
    public required Func<IReadOnlyList<RgbImage>> LoadImages { get; init; }
}

/// <summary>What scoring made of one output: the answer it read and whether it is right.</summary>
public sealed record BenchmarkScore(string Parsed, bool Correct);
