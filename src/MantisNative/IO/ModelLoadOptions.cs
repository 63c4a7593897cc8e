namespace MantisNative.IO;

/// <summary>How strictly a model folder's weights must match its config.</summary>
public sealed record ModelLoadOptions
{
    public static readonly ModelLoadOptions Default = new();

    /// <summary>
    /// Load a checkpoint holding tensors that no module uses (extra layers, unknown names, a lowered
    /// num_hidden_layers) with a warning instead of an error. The tensors are kept and saved back unchanged.
    /// </summary>
    public bool AllowUnusedWeights { get; init; }

    /// <summary>
    /// Freeze every weight matrix in this format at load (<see cref="FrozenBaseWeights"/>: a LoRA / QLoRA run's base);
    /// null or F32: ordinary fp32 tensors.
    /// </summary>
    public Tensors.WeightFormat? FrozenBase { get; init; }

    /// <summary>Where warnings go (the CLI prints them on stderr); null: dropped.</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>
    /// Tensors a Llava checkpoint holds that the model never reads, by design: SigLIP's attention-pooling head
    /// (SiglipVisionModel keeps it; Llava takes a hidden state before it) and RoPE buffers some exports include.
    /// These are kept for the round trip without a word.
    /// </summary>
    public static bool IsKnownUnused(string legacyName) =>
        legacyName.StartsWith("vision_tower.vision_model.head.", StringComparison.Ordinal)
        || legacyName.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal);
}
