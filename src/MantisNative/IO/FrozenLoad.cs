using MantisNative.Backends.Cpu.Quantized;
using MantisNative.IO.Quantization;
using MantisNative.Models;
using MantisNative.Models.Config;
using MantisNative.Tensors;

namespace MantisNative.IO;

/// <summary>
/// Loads a model folder for CPU inference with its matrices frozen (<see cref="FrozenWeights"/>): the checkpoint's
/// mappings stay open for as long as a weight used in place lives (<see cref="SourceLease"/>).
/// </summary>
internal static class FrozenLoad
{
    /// <summary>
    /// The format <see cref="ModelLoadOptions.AutoWeights"/> picks: a quantized folder's own, 16-bit in place when the
    /// language model's embedding table is stored in 16 bits, else fp32.
    /// </summary>
    public static WeightFormat AutoFormat(string folder)
    {
        if (QuantizedCheckpoint.IsQuantizedFolder(folder))
            return QuantizationConfig.Load(folder).Method == QuantizedFormat.Int8 ? WeightFormat.Int8 : WeightFormat.Nf4;
        using var source = Checkpoint.OpenWithLegacyNames(folder);
        const string probe = "language_model.model.embed_tokens.weight";
        return source.TryGetInfo(probe, out var info) && info.DType is DType.BF16 or DType.F16 ? WeightFormat.BF16 : WeightFormat.F32;
    }

    public static LoadedModel Load(string folder, ModelLoadOptions options)
    {
        var config = LlavaConfigFile.Load(folder);
        QuantizedCheckpoint? quantized = null;
        ITensorSource source;
        WeightFormat format;
        if (QuantizedCheckpoint.IsQuantizedFolder(folder))
        {
            quantized = QuantizedCheckpoint.Open(folder);
            var own = quantized.Config.Method == QuantizedFormat.Int8 ? WeightFormat.Int8 : WeightFormat.Nf4;
            if (options.Weights is { } asked && asked != own)
            {
                quantized.Dispose();
                throw new MantisException($"{folder}: the folder was quantized as {own.Name()} by `mantis quantize`; --weights {asked.Name()} cannot convert it " +
                                          $"(use --weights {own.Name()}, --weights f32 to dequantize, or the original folder)");
            }
            format = own;
            source = quantized.Plain;
        }
        else
        {
            format = options.Weights ?? WeightFormat.BF16;
            source = Checkpoint.OpenWithLegacyNames(folder);
        }
        var lease = new SourceLease(quantized is not null ? quantized : source);
        try
        {
            var weights = new FrozenWeights(source, quantized, format, lease);
            var model = new MantisModel(config, weights, weights.DTypeOf);
            try
            {
                ModelFiles.CheckUnused(weights.Unused.ToList(), source.Location, options);
                var extras = weights.Unused.Select(n =>
                {
                    var info = source.GetInfo(n);
                    return new PassthroughTensor(CheckpointNames.ToLegacy(n), info.DType, info.Shape, source.GetBytes(n).ToArray());
                }).ToList();
                return new LoadedModel(model, extras, folder);
            }
            catch { model.Dispose(); throw; }
        }
        finally { lease.Release(); }
    }
}
