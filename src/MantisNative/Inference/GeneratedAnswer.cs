namespace MantisNative.Inference;

/// <summary>One generated answer: its text (stop token left out), the ids chosen (stop token included), and why it ended.</summary>
public sealed record GeneratedAnswer(string Text, IReadOnlyList<int> Ids, bool Stopped)
{
    /// <summary>True when the answer ended on a stop id; false when it ran into the token limit.</summary>
    public bool HitTokenLimit => !Stopped;

    /// <summary>Time to first token, prefill and decode rates of this answer.</summary>
    public GenerationStats? Stats { get; init; }
}
