using MantisNative.Tensors;

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
    /// How weight matrices are held for inference on the CPU (<see cref="FrozenWeights"/>): null or F32 loads every
    /// weight as an fp32 parameter (training, GPUs; a folder written by <c>mantis quantize</c> is dequantized, unless
    /// <see cref="AutoWeights"/>); BF16 / F16 keep 16-bit weights in place; Int8 / Nf4
    /// quantize the language model. Frozen weights are not trainable and stay on the CPU.
    /// </summary>
    public WeightFormat? Weights { get; init; }

    /// <summary>
    /// With <see cref="Weights"/> null: pick the inference format from the folder (what chat and eval do by default):
    /// a 16-bit checkpoint keeps its matrices 16-bit in place, a `mantis quantize` folder stays quantized, an fp32
    /// checkpoint loads as fp32 parameters (exactly as without this option).
    /// </summary>
    public bool AutoWeights { get; init; }

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
