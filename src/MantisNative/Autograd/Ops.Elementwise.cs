using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static partial class Ops
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
        var be = On("Add", a, b);
        var y = be.Add(a, b, inner);
        if (Tape.Needs(a, b))
            Tape.Record(y, g =>
            {
                if (a.RequiresGrad) a.AccumulateGrad(g);
                if (b.RequiresGrad) Accumulate(b, be.SumLeading(g, b.Shape, inner));
            });
        return y;
    }

    /// <summary>a * b elementwise, b broadcast over a's leading dimensions.</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        long inner = BroadcastInner(a, b, "Mul");
        var be = On("Mul", a, b);
        var y = be.Mul(a, b, inner);
        if (Tape.Needs(a, b))
            Tape.Record(y, g =>
            {
                if (a.RequiresGrad) Accumulate(a, be.Mul(g, b, inner));
                if (b.RequiresGrad) Accumulate(b, be.MulBackwardBroadcast(g, a, b.Shape, inner));
            });
        return y;
    }

    /// <summary>x * s for a constant s.</summary>
    public static Tensor Scale(Tensor x, float s)
    {
        var be = On(x);
        var y = be.Scale(x, s);
        if (Tape.Needs(x)) Tape.Record(y, g => Accumulate(x, be.Scale(g, s)));
        return y;
    }

    /// <summary>Sum of all elements (an F32 scalar).</summary>
    public static Tensor Sum(Tensor x)
    {
        var be = On(x);
        var y = be.Sum(x);
        if (Tape.Needs(x)) Tape.Record(y, g => Accumulate(x, be.SumBackward(g, x)));
        return y;
    }

    /// <summary>Mean of all elements (a scalar).</summary>
    public static Tensor Mean(Tensor x)
    {
        var s = Sum(x);
        return Scale(s, x.Numel == 0 ? float.NaN : 1f / x.Numel);
    }
}
