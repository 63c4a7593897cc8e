namespace MantisNative.Inference;

/// <summary>Settings of a <see cref="MantisPipeline"/>.</summary>
public sealed record MantisPipelineOptions
{
    /// <summary>System prompt; null uses the model folder's chat_config.json (if any), "" means none.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>Where the model runs: <c>Device.Cpu</c> (default) or <c>Device.Cuda(n)</c> (BF16 weights on that GPU).</summary>
    public Tensors.Device Device { get; init; } = Tensors.Device.Cpu;

    /// <summary>Decoding used when a call passes no options (default: greedy, up to 256 new tokens).</summary>
    public GenerationOptions Generation { get; init; } = new() { MaxNewTokens = 256 };

    /// <summary>How strictly the weights must match config.json (null: unused tensors are an error).</summary>
    public IO.ModelLoadOptions? Load { get; init; }
}
