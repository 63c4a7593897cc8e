using MantisNative.Backends.Cuda;
using MantisNative.Backends.Cpu;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static unsafe partial class Ops
{
    /// <summary>Elements of b repeat over a's leading dimensions: b's shape must be a trailing part of a's (or b a scalar).</summary>
    private static long BroadcastInner(Tensor a, Tensor b, string op)
    {
        if (b.Numel == 1) return 1;
        int off = a.Rank - b.Rank;
        bool ok = off >= 0;
        for (int i = 0; ok && i < b.Rank; i++) ok = a.Dim(off + i) == b.Dim(i);
        if (!ok) throw new ArgumentException($"{op}: shape {b.Shape} does not broadcast over {a.Shape} (it must match a's trailing dimensions)");
        return b.Numel;
    }

    /// <summary>a + b, b broadcast over a's leading dimensions.</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        long inner = BroadcastInner(a, b, "Add");
        if (OnDevice("Add", a, b)) return CudaOps.Add(a, b, Math.Max(1, inner));
        var y = Tensor.Empty(a.Shape);
        if (inner == 1 && a.Numel != 1) TensorPrimitives.Add(a.Span, b.Span[0], y.Span);
        else Elementwise.Add(a.Data, a.Numel / Math.Max(1, inner), inner, b.Data, y.Data);
        if (Tape.Needs(a, b))
            Tape.Record(y, g =>
            {
                if (a.RequiresGrad) a.AccumulateGrad(g);
                if (b.RequiresGrad)
                {
                    using var gb = Tensor.Zeros(b.Shape);
                    if (inner == 1) gb.Span[0] = TensorPrimitives.Sum(g.Span);
                    else Elementwise.SumBlocks(g.Data, a.Numel / inner, inner, gb.Data);
                    b.AccumulateGrad(gb);
                }
            });
        return y;
    }

    /// <summary>a * b elementwise, b broadcast over a's leading dimensions.</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        long inner = BroadcastInner(a, b, "Mul");
        if (OnDevice("Mul", a, b)) return CudaOps.Mul(a, b, Math.Max(1, inner));
        var y = Tensor.Empty(a.Shape);
        if (inner == 1 && a.Numel != 1) TensorPrimitives.Multiply(a.Span, b.Span[0], y.Span);
        else Elementwise.Mul(a.Data, a.Numel / Math.Max(1, inner), inner, b.Data, y.Data);
        if (Tape.Needs(a, b))
            Tape.Record(y, g =>
            {
                if (a.RequiresGrad)
                {
                    using var ga = Tensor.Zeros(a.Shape);
                    if (inner == 1 && a.Numel != 1) TensorPrimitives.Multiply(g.Span, b.Span[0], ga.Span);
                    else Elementwise.Mul(g.Data, a.Numel / Math.Max(1, inner), inner, b.Data, ga.Data);
                    a.AccumulateGrad(ga);
                }
                if (b.RequiresGrad)
                {
                    using var gb = Tensor.Zeros(b.Shape);
                    if (inner == 1) gb.Span[0] = TensorPrimitives.Dot(g.Span, a.Span);
                    else Elementwise.SumProductBlocks(g.Data, a.Data, a.Numel / inner, inner, gb.Data);
                    b.AccumulateGrad(gb);
                }
            });
        return y;
    }

    /// <summary>x * s for a constant s.</summary>
    public static Tensor Scale(Tensor x, float s)
    {
        if (OnDevice(x)) return CudaOps.Scale(x, s);
        var y = Tensor.Empty(x.Shape);
        TensorPrimitives.Multiply(x.Span, s, y.Span);
        if (Tape.Needs(x))
            Tape.Record(y, g =>
            {
                using var gx = Tensor.Zeros(x.Shape);
                TensorPrimitives.Multiply(g.Span, s, gx.Span);
                x.AccumulateGrad(gx);
            });
        return y;
    }

    /// <summary>Sum of all elements (a scalar).</summary>
    public static Tensor Sum(Tensor x)
    {
        if (OnDevice(x)) return CudaOps.Sum(x);
        double s = 0;
        var span = x.Span;
        // Chunked float sums added in double: accurate and still SIMD.
        for (int i = 0; i < span.Length; i += 4096) s += TensorPrimitives.Sum(span.Slice(i, Math.Min(4096, span.Length - i)));
        var y = Tensor.Scalar((float)s);
        if (Tape.Needs(x))
            Tape.Record(y, g =>
            {
                using var gx = Tensor.Full(x.Shape, g.Span[0]);
                x.AccumulateGrad(gx);
            });
        return y;
    }

    /// <summary>Mean of all elements (a scalar).</summary>
    public static Tensor Mean(Tensor x)
    {
        var s = Sum(x);
        return Scale(s, x.Numel == 0 ? float.NaN : 1f / x.Numel);
    }
}
