using MantisNative.Backends.Cpu.Quantized;
using MantisNative.Tensors;

namespace MantisNative.IO.Quantization;

/// <summary>
/// A quantized model folder opened for reading: <see cref="QuantizationConfig"/> plus the safetensors it names.
/// Every quantized tensor's codes and scales are checked (dtype, shape, finite scales) when the folder opens, so a
/// damaged file fails at once, naming the tensor. Quantized weights are handed out as <see cref="QuantizedMatrix"/>
/// views into the memory-mapped file (no copy); other tensors through <see cref="Plain"/>.
/// </summary>
public sealed unsafe class QuantizedCheckpoint : IDisposable
{
    private QuantizedCheckpoint(string folder, QuantizationConfig config, LegacyNamedSource source)
    {
        Folder = folder;
        Config = config;
        Plain = source;
    }

    public string Folder { get; }
    public QuantizationConfig Config { get; }

    /// <summary>All tensors of the folder, quantized parts (<c>.qcodes</c>, <c>.qscales</c>) included, by legacy name.</summary>
    public LegacyNamedSource Plain { get; }

    public static bool IsQuantizedFolder(string folder) => File.Exists(Path.Combine(folder, QuantizationConfig.FileName));

    public static QuantizedCheckpoint Open(string folder)
    {
        if (!IsQuantizedFolder(folder)) throw new MantisException($"{folder}: not a quantized model folder (no {QuantizationConfig.FileName})");
        var config = QuantizationConfig.Load(folder);
        var source = Checkpoint.OpenWithLegacyNames(folder);
        try
        {
            var cp = new QuantizedCheckpoint(folder, config, source);
            foreach (var t in config.Tensors.Values) cp.Check(t);
            return cp;
        }
        catch { source.Dispose(); throw; }
    }

    public bool IsQuantized(string name) => Config.Tensors.ContainsKey(CheckpointNames.ToLegacy(name));

    /// <summary>Names of the model's tensors: the plain ones and the quantized ones (without the part suffixes).</summary>
    public IEnumerable<string> LogicalNames =>
        Plain.Names.Where(n => !IsPart(n)).Concat(Config.Tensors.Keys);

    public static bool IsPart(string name) =>
        name.EndsWith(QuantizationConfig.CodesSuffix, StringComparison.Ordinal) || name.EndsWith(QuantizationConfig.ScalesSuffix, StringComparison.Ordinal);

    public QuantizedTensorEntry Entry(string name) =>
        Config.Tensors.TryGetValue(CheckpointNames.ToLegacy(name), out var e) ? e : throw new MantisException($"{Folder}: tensor '{name}' is not quantized");

    /// <summary>A view of the quantized weight (valid until this checkpoint is disposed).</summary>
    internal QuantizedMatrix Matrix(string name)
    {
        var e = Entry(name);
        return new QuantizedMatrix(Config.Method, e.Rows, e.Cols, e.BlockSize,
            Plain.GetPointer(e.Name + QuantizationConfig.CodesSuffix), (float*)Plain.GetPointer(e.Name + QuantizationConfig.ScalesSuffix));
    }

    private void Check(QuantizedTensorEntry e)
    {
        string codes = e.Name + QuantizationConfig.CodesSuffix, scales = e.Name + QuantizationConfig.ScalesSuffix;
        long rowBytes = QuantizedMatrix.RowBytesFor(Config.Method, e.Cols), blocks = QuantizedMatrix.BlocksFor(e.Cols, e.BlockSize);
        if (Plain.Contains(e.Name))
            throw new MantisException($"{Plain.Location}: '{e.Name}' is stored both plain and quantized; keep one");
        var ci = Part(codes, e.Name);
        var si = Part(scales, e.Name);
        if (ci.DType != DType.U8 || !ci.ShapeSpan.SequenceEqual([e.Rows, rowBytes]))
            throw new MantisException($"{Plain.Location}: '{codes}' is {ci.DType.SafetensorsName()} {ci.ShapeString}; {QuantizationConfig.MethodName(Config.Method)} [{e.Rows}, {e.Cols}] needs U8 [{e.Rows}, {rowBytes}]");
        if (si.DType != DType.F32 || !si.ShapeSpan.SequenceEqual([e.Rows, blocks]))
            throw new MantisException($"{Plain.Location}: '{scales}' is {si.DType.SafetensorsName()} {si.ShapeString}; block size {e.BlockSize} over {e.Cols} columns needs F32 [{e.Rows}, {blocks}]");
        float* s = (float*)Plain.GetPointer(scales);
        for (long i = 0; i < si.ElementCount; i++)
            if (!float.IsFinite(s[i]) || s[i] < 0)
                throw new MantisException($"{Plain.Location}: '{scales}' element {i} is {s[i]}; scales must be finite and >= 0");
    }

    private TensorInfo Part(string part, string tensor) =>
        Plain.TryGetInfo(part, out var info) ? info
            : throw new MantisException($"{Folder}: {QuantizationConfig.FileName} lists '{tensor}', but the weights have no '{part}'");

    public void Dispose() => Plain.Dispose();
}
