namespace MantisNative.Inference;

/// <summary>
/// Timings of one generated answer (wall clock, on the generating thread): time to first token covers image
/// features, prefill and choosing the first token; decode covers every later token. Filled by
/// <see cref="Generator.Generate"/> when given one; reported by <c>mantis chat --stats</c> and
/// <see cref="GeneratedAnswer.Stats"/>.
/// </summary>
public sealed class GenerationStats
{
    /// <summary>Positions of the prompt after image expansion (what prefill computes).</summary>
    public int PromptTokens { get; internal set; }

    /// <summary>Images whose features were computed for this answer (0 when a chat reused its cached features).</summary>
    public int ImagesEncoded { get; internal set; }

    /// <summary>Seconds spent in the vision tower and projector.</summary>
    public double VisionSeconds { get; internal set; }

    /// <summary>Seconds from the call to the first token chosen (vision + prefill + sampling).</summary>
    public double TimeToFirstTokenSeconds { get; internal set; }

    /// <summary>Tokens produced after the first one (each one decode step).</summary>
    public int DecodeTokens { get; internal set; }

    /// <summary>Seconds spent producing those tokens.</summary>
    public double DecodeSeconds { get; internal set; }

    /// <summary>Prompt positions per second of prefill (vision time excluded).</summary>
    public double PrefillTokensPerSecond => TimeToFirstTokenSeconds - VisionSeconds > 0 ? PromptTokens / (TimeToFirstTokenSeconds - VisionSeconds) : 0;

    public double DecodeTokensPerSecond => DecodeSeconds > 0 ? DecodeTokens / DecodeSeconds : 0;

    public override string ToString() =>
        $"prompt {PromptTokens} tokens ({ImagesEncoded} image(s) encoded in {VisionSeconds:0.00} s), time to first token {TimeToFirstTokenSeconds:0.00} s, " +
        $"prefill {PrefillTokensPerSecond:0.0} tokens/s, decode {DecodeTokens} tokens at {DecodeTokensPerSecond:0.00} tokens/s";
}
