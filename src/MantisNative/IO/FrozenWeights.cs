using MantisNative.Backends.Cpu.Frozen;
using MantisNative.Backends.Cpu.Quantized;
using MantisNative.IO.Quantization;
using MantisNative.Nn;
using MantisNative.Tensors;

namespace MantisNative.IO;

/// <summary>
/// Weights for inference with matrices frozen in a chosen format (<c>--weights</c>): Linear weights, embed_tokens
/// and lm_head are handed out as <see cref="FrozenMatrix"/>es, everything else (norms, biases, position and patch
/// embeddings) as fp32 tensors. Per format:
/// <list type="bullet">
/// <item>bf16 / f16: 16-bit weights are used in place in the memory-mapped file; fp32 ones get one 16-bit copy.</item>
/// <item>int8 / nf4: the language model's and projector's Linear weights and lm_head (<see cref="QuantizationTargets"/>)
/// are quantized at load (the mapped bf16 pages dropped from memory once read), or used in place when the folder
/// was written by <c>mantis quantize</c> in that format; other matrices stay 16-bit in place (fp32 in an fp32 file).</item>
/// </list>
/// </summary>
public sealed unsafe class FrozenWeights : IFrozenWeightProvider
{
    private readonly ITensorSource _source;
    private readonly CheckpointWeights _plain;
    private readonly QuantizedCheckpoint? _quantized;
    private readonly QuantizedWeights? _quantizedWeights;
    private readonly SourceLease _lease;

    public WeightFormat Format { get; }

    internal FrozenWeights(ITensorSource source, QuantizedCheckpoint? quantized, WeightFormat format, SourceLease lease)
    {
        _source = source;
        _plain = new CheckpointWeights(source);
        _quantized = quantized;
        _quantizedWeights = quantized is null ? null : new QuantizedWeights(quantized);
        Format = format;
        _lease = lease;
    }

    public double PlannedBytesPerValue => Format switch
    {
        WeightFormat.F32 => 4,
        WeightFormat.Int8 => 1.1,   // codes + per-row scales; embeddings and the vision tower stay 16-bit
        WeightFormat.Nf4 => 0.7,
        _ => 2,
    };

    public Tensor Get(string name, int[] shape, WeightRole role) =>
        _quantized is not null && _quantized.IsQuantized(name) ? _quantizedWeights!.Get(name, shape, role) : _plain.Get(name, shape, role);

    public FrozenMatrix? GetFrozen(string name, int rows, int cols, WeightRole role)
    {
        if (Format == WeightFormat.F32) return null;
        if (_quantized is not null && _quantized.IsQuantized(name))
        {
            var e = _quantized.Entry(name);
            if (e.Rows != rows || e.Cols != cols)
                throw new MantisException($"{_quantized.Folder}: quantized tensor '{name}' is [{e.Rows}, {e.Cols}], the config implies [{rows}, {cols}]");
            return new QuantizedFrozenMatrix(_quantized.Matrix(name), _lease.Acquire());
        }
        var info = _plain.Resolve(name, [rows, cols]);
        byte* p = _source.GetPointer(name);
        long bytes = info.ByteLength;
        if (Format.IsQuantized() && role == WeightRole.Matrix && _quantized is null && QuantizationTargets.IsTarget(CheckpointNames.ToLegacy(name)))
        {
            var method = Format == WeightFormat.Int8 ? QuantizedFormat.Int8 : QuantizedFormat.Nf4;
            var dtype = info.DType;
            var q = FrozenQuantizer.Quantize(method, rows, cols, FrozenQuantizer.DefaultBlock(method, cols), (r, dst) => ReadRow(p, dtype, r, cols, dst));
            MappedPages.Release(p, bytes);
            return q;
        }
        switch (info.DType)
        {
            case DType.BF16: return new HalfMatrix(WeightFormat.BF16, rows, cols, (ushort*)p, _lease.Acquire());
            case DType.F16: return new HalfMatrix(WeightFormat.F16, rows, cols, (ushort*)p, _lease.Acquire());
            default:
                if (Format.IsQuantized()) return null; // an fp32 matrix outside the quantized set stays an ordinary fp32 weight
                var m = HalfMatrix.Round(Format, rows, cols, new ReadOnlySpan<float>(p, checked(rows * cols)));
                return m;
        }
    }

    private static void ReadRow(byte* p, DType dtype, int row, int cols, Span<float> dst)
    {
        fixed (float* d = dst)
        {
            switch (dtype)
            {
                case DType.BF16: HalfMatrix.WidenBf16((ushort*)p + (nint)row * cols, d, cols); break;
                case DType.F16: System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>((Half*)p + (nint)row * cols, cols), dst); break;
                default: new ReadOnlySpan<float>((float*)p + (nint)row * cols, cols).CopyTo(dst); break;
            }
        }
    }

    /// <summary>The dtype a weight had in the checkpoint (what a save writes back).</summary>
    public DType DTypeOf(string name) => _quantized is not null && _quantized.IsQuantized(name) ? _quantized.Entry(name).OriginalDType : _plain.DTypeOf(name);

    /// <summary>Tensors no module took (quantized parts excluded).</summary>
    public IEnumerable<string> Unused => _plain.Unused.Where(n => !QuantizedCheckpoint.IsPart(n));
}
