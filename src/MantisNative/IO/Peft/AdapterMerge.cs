using System.Diagnostics;
using System.Runtime.InteropServices;
using MantisNative.IO.Quantization;
using MantisNative.Nn.Lora;
using MantisNative.Tensors;

namespace MantisNative.IO.Peft;

/// <summary>What <see cref="AdapterMerge.MergeFolder"/> wrote.</summary>
public sealed record MergeSummary(string Output, int MergedModules, int Tensors, int Shards, double Seconds);

/// <summary>
/// Merges a PEFT LoRA / DoRA adapter into a Hugging Face model folder and writes a plain folder (no adapter
/// left): each adapted weight becomes W + s·B·A (DoRA: m ⊙ V / ‖V‖ by rows), computed in fp32 with the update
/// summed in double (<see cref="LoraMath"/>) and stored in the base weight's dtype; every other tensor is copied
/// byte for byte, under the base folder's own names, with as many shards as it had; config, tokenizer and
/// processor files are copied. One row of one weight is in memory at a time.
/// </summary>
public static class AdapterMerge
{
    public static MergeSummary MergeFolder(string modelFolder, string adapterFolder, string outputFolder, bool overwrite = false)
    {
        var sw = Stopwatch.StartNew();
        if (!Directory.Exists(modelFolder)) throw new MantisException($"{modelFolder}: model folder not found");
        if (QuantizedCheckpoint.IsQuantizedFolder(modelFolder))
            throw new MantisException($"{modelFolder}: is a quantized model ({QuantizationConfig.FileName}); merge the adapter into the unquantized model, then quantize the result");
        DerivedModelFolder.CheckOutput(outputFolder, overwrite, modelFolder, adapterFolder);
        var adapter = PeftAdapter.Load(adapterFolder);

        using var source = Checkpoint.OpenWithLegacyNames(modelFolder);
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        var sizes = new List<(string Name, long Bytes)>();
        foreach (var legacy in source.Names)
        {
            string actual = source.ActualName(legacy);
            var info = source.GetInfo(legacy);
            sizes.Add((actual, info.ByteLength));
            if (legacy.EndsWith(".weight", StringComparison.Ordinal)
                && adapter.Modules.TryGetValue(legacy[..^".weight".Length], out var module))
            {
                CheckShapes(info, module, source.Location);
                double scale = adapter.Settings.ScaleFor(module.ModulePath);
                writer.Add(actual, info.DType, info.Shape, s => WriteMerged(s, source, legacy, info, module, scale));
            }
            else writer.AddFrom(source, actual);
        }
        var missing = adapter.Modules.Keys.Where(m => !source.Contains(m + ".weight")).ToList();
        if (missing.Count > 0)
            throw new MantisException($"{adapterFolder}: adapts '{missing[0]}', but {modelFolder} has no tensor '{missing[0]}.weight'{(missing.Count > 1 ? $" ({missing.Count} such modules)" : "")}; is it the adapter's base model?");

        int shards = DerivedModelFolder.SaveLike(source, writer, sizes, outputFolder);
        DerivedModelFolder.CopySideFiles(modelFolder, outputFolder);
        return new MergeSummary(Path.GetFullPath(outputFolder), adapter.Modules.Count, sizes.Count, shards, sw.Elapsed.TotalSeconds);
    }

    private static void CheckShapes(TensorInfo info, LoraModuleWeights m, string where)
    {
        if (info.Rank != 2 || info.Dim(0) != m.OutFeatures || info.Dim(1) != m.InFeatures)
            throw new MantisException($"{where}: '{info.Name}' has shape {info.ShapeString}, but the adapter's lora_B x lora_A for it is [{m.OutFeatures}, {m.InFeatures}]");
        if (info.DType is not (DType.F32 or DType.BF16 or DType.F16))
            throw new MantisException($"{where}: '{info.Name}' has dtype {info.DType.SafetensorsName()}; an adapter merges into F32, BF16 or F16 weights only");
    }

    private static void WriteMerged(Stream s, ITensorSource source, string name, TensorInfo info, LoraModuleWeights m, double scale)
    {
        int outF = m.OutFeatures, inF = m.InFeatures;
        var row = new float[inF];
        var merged = new float[inF];
        var delta = new double[inF];
        var halfs = info.DType == DType.F32 ? null : new ushort[inF];
        for (int o = 0; o < outF; o++)
        {
            source.ReadAsFloat32(name, row, (long)o * inF);
            LoraMath.DeltaRow(m.A, m.B, m.Rank, inF, o, scale, delta);
            if (m.Magnitude is null) LoraMath.MergeRow(row, delta, merged);
            else LoraMath.MergeDoraRow(row, delta, m.Magnitude[o], merged);
            if (halfs is null) { s.Write(MemoryMarshal.AsBytes(merged.AsSpan())); continue; }
            if (info.DType == DType.BF16) FloatConversion.ToBFloat16(merged, halfs); else FloatConversion.ToFloat16(merged, halfs);
            s.Write(MemoryMarshal.AsBytes(halfs.AsSpan()));
        }
    }
}
