using System.Diagnostics;
using MantisNative.Backends.Cpu.Quantized;
using MantisNative.Tensors;

namespace MantisNative.IO.Quantization;

/// <summary>What <see cref="ModelQuantizer.QuantizeFolder"/> wrote.</summary>
public sealed record QuantizeSummary(string Output, int Quantized, int Kept, long BytesBefore, long BytesAfter, double Seconds);

/// <summary>
/// Writes a quantized copy of a Hugging Face model folder (docs/quantization.md): the weights chosen by
/// <see cref="QuantizationTargets"/> become <c>{name}.qcodes</c> + <c>{name}.qscales</c>, everything else is copied
/// byte for byte; config, tokenizer and processor files are copied and <c>mantis_quantization.json</c> added. One
/// row of one weight is in memory at a time; shards as many as the input had.
/// </summary>
public static class ModelQuantizer
{
    public const int DefaultNf4Block = 64;

    /// <param name="blockSize">NF4: elements per scale (default 64, QLoRA's); int8: null = one scale per row (per output channel)</param>
    public static QuantizeSummary QuantizeFolder(string modelFolder, string outputFolder, QuantizedFormat method, int? blockSize = null, bool overwrite = false)
    {
        var sw = Stopwatch.StartNew();
        if (!Directory.Exists(modelFolder)) throw new MantisException($"{modelFolder}: model folder not found");
        if (QuantizedCheckpoint.IsQuantizedFolder(modelFolder))
            throw new MantisException($"{modelFolder}: is already quantized ({QuantizationConfig.FileName}); quantize the original model instead");
        if (blockSize is int b && (b < 16 || b % 16 != 0 || b > 1 << 20))
            throw new MantisException($"quantize: block size must be a multiple of 16 between 16 and {1 << 20}, got {b}");
        DerivedModelFolder.CheckOutput(outputFolder, overwrite, modelFolder);
        LlavaConfigFile.Load(modelFolder); // a folder without a valid config.json is not a model: say so before any work

        using var source = Checkpoint.OpenWithLegacyNames(modelFolder);
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        writer.Metadata["mantis_quantization"] = QuantizationConfig.MethodName(method);
        var entries = new Dictionary<string, QuantizedTensorEntry>(StringComparer.Ordinal);
        var sizes = new List<(string Name, long Bytes)>();
        long before = 0;
        foreach (var legacy in source.Names)
        {
            var info = source.GetInfo(legacy);
            string actual = source.ActualName(legacy);
            before += info.ByteLength;
            if (!QuantizationTargets.IsTarget(legacy))
            {
                writer.AddFrom(source, actual);
                sizes.Add((actual, info.ByteLength));
                continue;
            }
            if (info.Rank != 2 || info.DType is not (DType.F32 or DType.BF16 or DType.F16) || info.Dim(0) > int.MaxValue || info.Dim(1) > int.MaxValue)
                throw new MantisException($"{source.Location}: '{actual}' is {info.DType.SafetensorsName()} {info.ShapeString}; only 2-D F32/BF16/F16 weights can be quantized");
            int rows = (int)info.Dim(0), cols = (int)info.Dim(1);
            int bs = blockSize ?? (method == QuantizedFormat.Nf4 ? DefaultNf4Block : QuantizedMatrix.PerRowBlock(cols));
            var entry = new QuantizedTensorEntry(legacy, rows, cols, info.DType, bs);
            entries[legacy] = entry;
            int rowBytes = QuantizedMatrix.RowBytesFor(method, cols), blocks = QuantizedMatrix.BlocksFor(cols, bs);
            // Scales (F32) are laid out before codes (U8) in a file: the scales part computes only the block absmax,
            // the codes part quantizes; no whole weight's codes are kept in memory.
            writer.Add(actual + QuantizationConfig.ScalesSuffix, DType.F32, [rows, blocks], s => WriteParts(s, source, legacy, method, bs, rows, cols, scalesPart: true));
            writer.Add(actual + QuantizationConfig.CodesSuffix, DType.U8, [rows, rowBytes], s => WriteParts(s, source, legacy, method, bs, rows, cols, scalesPart: false));
            sizes.Add((actual + QuantizationConfig.ScalesSuffix, (long)rows * blocks * 4));
            sizes.Add((actual + QuantizationConfig.CodesSuffix, (long)rows * rowBytes));
        }
        if (entries.Count == 0)
            throw new MantisException($"{modelFolder}: has no weight to quantize (the Linear weights of language_model.* and multi_modal_projector.*)");

        DerivedModelFolder.SaveLike(source, writer, sizes, outputFolder);
        DerivedModelFolder.CopySideFiles(modelFolder, outputFolder);
        new QuantizationConfig(method, entries).Save(outputFolder); // last: the folder counts as quantized only when complete
        return new QuantizeSummary(Path.GetFullPath(outputFolder), entries.Count, sizes.Count - 2 * entries.Count, before, sizes.Sum(s => s.Bytes), sw.Elapsed.TotalSeconds);
    }

    private static void WriteParts(Stream s, ITensorSource source, string name, QuantizedFormat method, int blockSize, int rows, int cols, bool scalesPart)
    {
        var row = new float[cols];
        var codes = new byte[QuantizedMatrix.RowBytesFor(method, cols)];
        var scales = new float[QuantizedMatrix.BlocksFor(cols, blockSize)];
        for (int r = 0; r < rows; r++)
        {
            source.ReadAsFloat32(name, row, (long)r * cols);
            try
            {
                if (scalesPart) WeightQuantizer.RowScales(method, blockSize, row, scales);
                else WeightQuantizer.QuantizeRow(method, blockSize, row, codes, scales);
            }
            catch (MantisException e) { throw new MantisException($"{source.Location}: '{name}' row {r}: {e.Message}"); }
            if (scalesPart) s.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(scales.AsSpan()));
            else s.Write(codes);
        }
    }
}
