using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu.Frozen;

/// <summary>
/// An fp32 weight behind the frozen-matrix interface (an fp32 checkpoint loaded frozen, or a frozen LoRA base that
/// stays fp32): the same ops accept every format. Holds the tensor; disposing the matrix disposes it.
/// </summary>
public sealed unsafe class DenseMatrix : FrozenMatrix
{
    private Tensor? _tensor;

    public DenseMatrix(Tensor weight) : base(WeightFormat.F32, weight.Dim(0), weight.Rank == 2 ? weight.Dim(1) : throw new ArgumentException($"a weight matrix is 2-D, got {weight.Shape}"))
    {
        if (weight.DType != DType.F32 || !weight.Device.IsCpu) throw new ArgumentException($"DenseMatrix holds an F32 host tensor, got {weight.DType} on {weight.Device}");
        _tensor = weight;
        Name = weight.Name;
    }

    public override long ByteSize => (long)Rows * Cols * 4;

    public override void DecodeRow(int row, int col0, int count, float* dst)
    {
        CheckSegment(row, col0, count);
        var t = _tensor ?? throw new ObjectDisposedException(nameof(DenseMatrix));
        Buffer.MemoryCopy(t.Data + (nint)row * Cols + col0, dst, (long)count * 4, (long)count * 4);
    }

    protected override void Release()
    {
        _tensor?.Dispose();
        _tensor = null;
    }
}
