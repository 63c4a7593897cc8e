using MantisNative.Models;
using MantisNative.Models.Config;
using MantisNative.Nn;
using MantisNative.Tensors;

namespace MantisNative.IO;

/// <summary>A tensor kept as raw bytes because no module uses it (written back on save).</summary>
public sealed record PassthroughTensor(string Name, DType DType, long[] Shape, byte[] Data);

/// <summary>Loads a Mantis / LLaVA model from a Hugging Face folder and saves one back (config.json + safetensors).</summary>
public static class ModelFiles
{
    /// <summary>Loads config.json and the weights (single file or sharded) of <paramref name="folder"/>.</summary>
    public static LoadedModel Load(string folder, ModelLoadOptions? options = null)
    {
        options ??= ModelLoadOptions.Default;
        if (!Directory.Exists(folder)) throw new MantisException($"{folder}: model folder not found");
        bool quantizedFolder = Quantization.QuantizedCheckpoint.IsQuantizedFolder(folder);
        var format = options.Weights ?? (options.AutoWeights ? FrozenLoad.AutoFormat(folder) : WeightFormat.F32);
        if (quantizedFolder && format == WeightFormat.F32) return Quantization.QuantizedWeights.LoadModel(folder);
        if (format != WeightFormat.F32) return FrozenLoad.Load(folder, options with { Weights = format });
        var config = LlavaConfigFile.Load(folder);
        ModelMemoryPlan.For(config).EnsureFits(MemoryBudget.AvailableHostBytes(), Path.Combine(folder, LlavaConfig.FileName));
        using var source = Checkpoint.OpenWithLegacyNames(folder);
        var weights = new CheckpointWeights(source);
        var model = new MantisModel(config, weights, weights.DTypeOf);
        try { CheckUnused(weights.Unused.ToList(), source.Location, options); }
        catch { model.Dispose(); throw; }
        var extras = weights.Unused.Select(n =>
        {
            var info = source.GetInfo(n);
            return new PassthroughTensor(CheckpointNames.ToLegacy(n), info.DType, info.Shape, source.GetBytes(n).ToArray());
        }).ToList();
        return new LoadedModel(model, extras, folder);
    }

    /// <summary>
    /// A checkpoint tensor no module took means the file and the config describe different models (extra or
    /// renamed layers, a lowered num_hidden_layers): an error unless the caller opted in, then a warning.
    /// </summary>
    internal static void CheckUnused(List<string> unused, string location, ModelLoadOptions options)
    {
        var surprising = unused.Where(n => !ModelLoadOptions.IsKnownUnused(CheckpointNames.ToLegacy(n))).ToList();
        if (surprising.Count == 0) return;
        string list = string.Join(", ", surprising.Take(5)) + (surprising.Count > 5 ? $" and {surprising.Count - 5} more" : "");
        string what = $"{location}: {surprising.Count} tensor(s) that the model described by config.json does not use: {list}";
        if (!options.AllowUnusedWeights)
            throw new MantisException(what + " (the config and the weights disagree; --allow-unused-weights loads anyway with a warning)");
        options.Warn?.Invoke("warning: " + what + " (kept and saved back unchanged)");
    }

    /// <summary>
    /// Writes config.json and model.safetensors (legacy names, each tensor in its checkpoint dtype; bf16 rounds to
    /// nearest even, so values that came from bf16 go back bit-exact). Files appear atomically.
    /// </summary>
    /// <param name="saveAllAs">store every parameter in this dtype instead of its checkpoint dtype (F32 for exact training resumes)</param>
    public static void Save(MantisModel model, string folder, IEnumerable<PassthroughTensor>? extras = null, long maxShardBytes = 0, DType? saveAllAs = null,
        Func<Parameter, float[]?>? values = null)
    {
        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MantisException($"{folder}: cannot create the output folder: {e.Message}");
        }
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var p in model.Parameters.All)
        {
            if (!seen.Add(p.Tensor)) continue; // tied lm_head: saved once, as transformers does
            var shape = p.Tensor.Shape.ToArray().Select(d => (long)d).ToArray();
            // ToArray: the same copy on the host, an explicit download for a model on a GPU
            // values: a GPU trainer's fp32 master in place of the BF16 weight the forward reads (null: the tensor itself)
            writer.AddFloat32(p.Name, shape, values?.Invoke(p) ?? p.Tensor.ToArray(), saveAllAs ?? p.SaveAs);
        }
        // frozen weights are written decoded (exact for 16-bit ones kept in place; quantized ones as their dequantized values)
        var frozenSeen = new HashSet<FrozenMatrix>(ReferenceEqualityComparer.Instance);
        foreach (var f in model.Parameters.Frozen)
        {
            if (!frozenSeen.Add(f.Matrix)) continue;
            using var dense = f.Matrix.ToF32();
            writer.AddFloat32(f.Name, [f.Matrix.Rows, f.Matrix.Cols], dense.ToArray(), saveAllAs ?? f.SaveAs);
        }
        foreach (var e in extras ?? Array.Empty<PassthroughTensor>()) writer.Add(e.Name, e.DType, e.Shape, e.Data);
        if (maxShardBytes > 0) writer.SaveSharded(folder, maxShardBytes);
        else writer.Save(Path.Combine(folder, Checkpoint.SingleFileName));
        model.Config.Save(Path.Combine(folder, LlavaConfig.FileName));
    }
}

/// <summary>A model loaded from a folder together with the checkpoint tensors it does not use.</summary>
public sealed record LoadedModel(MantisModel Model, IReadOnlyList<PassthroughTensor> Extras, string Folder) : IDisposable
{
    public void Save(string folder, long maxShardBytes = 0) => ModelFiles.Save(Model, folder, Extras, maxShardBytes);
    public void Dispose() => Model.Dispose();
}
