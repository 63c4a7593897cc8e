using MantisNative.Models.Config;
using MantisNative.Tensors;

namespace MantisNative.Models;

/// <summary>
/// The memory a model of a config will take before any of it is allocated: float parameters per part (counted in
/// double, so absurd configs do not overflow), and the largest single tensor (host tensors are indexed by int).
/// <see cref="EnsureFits"/> refuses with the config values that make it large.
/// </summary>
public sealed record ModelMemoryPlan(IReadOnlyList<(string What, double Floats)> Parts, double LargestTensor, string LargestTensorWhat)
{
    public double Bytes => Parts.Sum(p => p.Floats) * sizeof(float);

    public static ModelMemoryPlan For(LlavaConfig c)
    {
        var v = c.Vision;
        var t = c.Text;
        double vh = v.HiddenSize, vi = v.IntermediateSize, positions = (double)v.ImageSize / v.PatchSize * (v.ImageSize / v.PatchSize);
        double patch = vh * v.NumChannels * v.PatchSize * v.PatchSize;
        double visionLayer = 4 * (vh * vh + vh) + 2 * vh * vi + vi + 5 * vh;
        double th = t.HiddenSize, qDim = (double)t.NumAttentionHeads * t.HeadDim, kvDim = (double)t.NumKeyValueHeads * t.HeadDim;
        double textLayer = th * qDim * 2 + th * kvDim * 2 + 3 * th * t.IntermediateSize + 2 * th;
        double vocab = (double)t.VocabSize * th;
        var parts = new List<(string, double)>
        {
            ($"vision embeddings (vision_config.image_size {v.ImageSize}, patch_size {v.PatchSize}, hidden_size {v.HiddenSize})", patch + (positions + 2) * vh),
            ($"vision layers (vision_config.num_hidden_layers {v.NumHiddenLayers} x hidden_size {v.HiddenSize}, intermediate_size {v.IntermediateSize})", v.NumHiddenLayers * visionLayer + 2 * vh),
            ($"projector (vision_config.hidden_size {v.HiddenSize}, text_config.hidden_size {t.HiddenSize})", vh * th + th * th + 2 * th),
            ($"token embeddings and lm_head (text_config.vocab_size {t.VocabSize} x hidden_size {t.HiddenSize})", vocab * (t.TieWordEmbeddings ? 1 : 2)),
            ($"text layers (text_config.num_hidden_layers {t.NumHiddenLayers} x hidden_size {t.HiddenSize}, intermediate_size {t.IntermediateSize}, heads {t.NumAttentionHeads}/{t.NumKeyValueHeads} of head_dim {t.HeadDim})", t.NumHiddenLayers * textLayer + th),
        };
        var tensors = new (string, double)[]
        {
            ($"text_config.vocab_size {t.VocabSize} x hidden_size {t.HiddenSize}", vocab),
            ($"text_config.intermediate_size {t.IntermediateSize} x hidden_size {t.HiddenSize}", th * t.IntermediateSize),
            ($"text_config.num_attention_heads {t.NumAttentionHeads} x head_dim {t.HeadDim} x hidden_size {t.HiddenSize}", th * qDim),
            ($"vision_config.image_size {v.ImageSize} / patch_size {v.PatchSize} squared x hidden_size {v.HiddenSize}", (positions + 1) * vh),
            ($"vision_config.intermediate_size {v.IntermediateSize} x hidden_size {v.HiddenSize}", vh * vi),
            ($"vision_config.hidden_size {v.HiddenSize} x num_channels {v.NumChannels} x patch_size {v.PatchSize} squared", patch),
        };
        var largest = tensors.MaxBy(x => x.Item2);
        return new ModelMemoryPlan(parts, largest.Item2, largest.Item1);
    }

    /// <summary>Throws a <see cref="MantisException"/> when the model cannot be allocated in <paramref name="availableBytes"/>.</summary>
    /// <param name="bytesPerValue">what one weight value takes: 4 for float32, about 2 for bf16 kept in place, ~1 for int8</param>
    public void EnsureFits(long availableBytes, string source, double bytesPerValue = sizeof(float))
    {
        if (LargestTensor > int.MaxValue)
            throw new MantisException($"{source}: one weight would hold {LargestTensor:G4} values ({LargestTensorWhat}), more than the {int.MaxValue} a tensor can hold");
        double bytes = Parts.Sum(p => p.Floats) * bytesPerValue;
        if (bytes <= availableBytes) return;
        var big = Parts.OrderByDescending(p => p.Floats).Take(2).Select(p => $"{p.What}: {MemoryBudget.Format(p.Floats * bytesPerValue)}");
        string kind = bytesPerValue == sizeof(float) ? "float32 weights" : $"weights at ~{bytesPerValue:0.##} bytes each";
        throw new MantisException(
            $"{source}: the model needs {MemoryBudget.Format(bytes)} for its {kind}, but only {MemoryBudget.Format(availableBytes)} of memory is available; largest: {string.Join("; ", big)}" +
            (bytesPerValue >= 2 ? " (--weights int8 or nf4 quantizes the language model at load)" : ""));
    }
}

/// <summary>
/// The activations one forward (and, when recording, its tape for the backward) will hold: logits of batch x
/// tokens x vocab_size and each layer's intermediates. An upper estimate; only a plan larger than all available
/// memory is refused.
/// </summary>
public static class ActivationMemoryPlan
{
    public static double Bytes(LlavaConfig c, int batch, int tokens, int images, bool recording) =>
        Bytes(c, batch, tokens, images, recording, recording, checkpointed: false, bytesPerValue: sizeof(float));

    /// <summary>
    /// The general estimate: <paramref name="visionRecording"/> when the tower trains (a frozen one keeps one layer
    /// at a time); <paramref name="checkpointed"/> keeps each text and vision layer's input only, plus one layer
    /// recomputed in the backward; <paramref name="bytesPerValue"/> 2 for a GPU's BF16 activations.
    /// </summary>
    public static double Bytes(LlavaConfig c, int batch, int tokens, int images, bool recording, bool visionRecording, bool checkpointed, int bytesPerValue)
    {
        var t = c.Text;
        var v = c.Vision;
        double rows = (double)batch * tokens;
        double textLayer = 8.0 * t.HiddenSize + 4.0 * (t.NumAttentionHeads + t.NumKeyValueHeads) * t.HeadDim + 3.0 * t.IntermediateSize;
        double visionLayer = 10.0 * v.HiddenSize + 2.0 * v.IntermediateSize;
        double textLayers = !recording ? textLayer : checkpointed ? t.NumHiddenLayers * (double)t.HiddenSize + textLayer : t.NumHiddenLayers * textLayer;
        double visionLayers = !visionRecording ? visionLayer : checkpointed ? v.NumHiddenLayers * (double)v.HiddenSize + visionLayer : v.NumHiddenLayers * visionLayer;
        double values = rows * ((recording ? 3.0 : 1.0) * t.VocabSize + textLayers)
                        + (double)images * v.NumPositions * visionLayers;
        return values * bytesPerValue;
    }

    public static void EnsureFits(LlavaConfig c, int batch, int tokens, int images, bool recording, long availableBytes)
    {
        double need = Bytes(c, batch, tokens, images, recording);
        if (need <= availableBytes) return;
        throw new MantisException(
            $"a forward{(recording ? " with gradients" : "")} of batch {batch} x {tokens} tokens and {images} images needs about {MemoryBudget.Format(need)} " +
            $"(logits: text_config.vocab_size {c.Text.VocabSize}; {c.Text.NumHiddenLayers} text layers of hidden_size {c.Text.HiddenSize}, intermediate_size {c.Text.IntermediateSize}), " +
            $"but only {MemoryBudget.Format(availableBytes)} of memory is available: lower the batch size or the sequence length (max_seq_len)");
    }
}
