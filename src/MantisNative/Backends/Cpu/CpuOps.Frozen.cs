using MantisNative.Backends.Cpu.Frozen;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu;

// Frozen-weight primitives (bf16 / f16 / int8 / NF4 / fp32 behind FrozenMatrix): host only, so not part of
// IOpPrimitives; the ops refuse device inputs before calling them.
internal sealed unsafe partial class CpuOps
{
    /// <summary>y = x·Wᵀ + bias, x [rows, in] flattened.</summary>
    public Tensor FrozenLinear(Tensor x, FrozenMatrix w, Tensor? bias, int rows)
    {
        int outF = w.Rows;
        var y = Tensor.Empty(x.Shape.With(-1, outF));
        float* yd = y.Data;
        if (bias is not null)
        {
            var bs = bias.Span;
            for (int r = 0; r < rows; r++) bs.CopyTo(new Span<float>(yd + (long)r * outF, outF));
        }
        FrozenGemm.Multiply(x.Data, rows, w, transposed: true, accumulate: bias is not null, yd);
        return y;
    }

    /// <summary>dX = dY·W, dY [rows, out].</summary>
    public Tensor FrozenLinearBackwardInput(Tensor g, Tensor x, FrozenMatrix w, int rows)
    {
        var gx = Tensor.Empty(x.Shape);
        FrozenGemm.Multiply(g.Data, rows, w, transposed: false, accumulate: false, gx.Data);
        return gx;
    }

    /// <summary>Rows of a frozen table: [ids.Length, Cols].</summary>
    public Tensor FrozenEmbedding(FrozenMatrix table, ReadOnlySpan<int> ids)
    {
        var y = Tensor.Empty(new Shape(ids.Length, table.Cols));
        float* d = y.Data;
        for (int i = 0; i < ids.Length; i++) table.DecodeRow(ids[i], 0, table.Cols, d + (nint)i * table.Cols);
        return y;
    }
}
