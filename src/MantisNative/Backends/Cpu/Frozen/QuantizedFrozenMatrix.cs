using MantisNative.Backends.Cpu.Quantized;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu.Frozen;

/// <summary>
/// An int8 or NF4 weight (<see cref="QuantizedMatrix"/>: codes and block scales, usually in a memory-mapped
/// quantized checkpoint, or quantized at load into memory <paramref name="owner"/> frees). Decoding goes through
/// <see cref="QuantizedDequantize"/> inside GEMM packing; the decode GEMV is <see cref="QuantizedGemv"/>'s fused
/// kernel, which reads each code byte once and stores no dequantized weight.
/// </summary>
public sealed unsafe class QuantizedFrozenMatrix : FrozenMatrix
{
    private readonly QuantizedMatrix _m;
    private IDisposable? _owner;

    internal QuantizedFrozenMatrix(in QuantizedMatrix m, IDisposable? owner)
        : base(m.Format == QuantizedFormat.Int8 ? WeightFormat.Int8 : WeightFormat.Nf4, m.Rows, m.Cols)
    {
        _m = m;
        _owner = owner;
    }

    internal QuantizedMatrix Matrix => _m;

    public override long ByteSize => (long)_m.Rows * _m.RowBytes + (long)_m.Rows * _m.BlocksPerRow * 4;

    public override void DecodeRow(int row, int col0, int count, float* dst) =>
        QuantizedDequantize.Row(_m, row, col0, count, new Span<float>(dst, count));

    public override void GemvRows(float* x, float* y, int r0, int r1, float* scratch) => QuantizedGemv.MultiplyRows(_m, x, y, r0, r1);

    protected override void Release()
    {
        _owner?.Dispose();
        _owner = null;
    }
}
