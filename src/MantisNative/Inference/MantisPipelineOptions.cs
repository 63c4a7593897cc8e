namespace MantisNative.Inference;

/// <summary>Settings of a <see cref="MantisPipeline"/>.</summary>
public sealed record MantisPipelineOptions
{
    /// <summary>System prompt; null uses the model folder's chat_config.json (if any), "" means none.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>Decoding used when a call passes no options (default: greedy, up to 256 new tokens).</summary>
    public GenerationOptions Generation { get; init; } = new() { MaxNewTokens = 256 };
}
