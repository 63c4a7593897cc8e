using MantisNative.Backends;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static partial class Ops
{
    /// <summary>
    /// op(a) @ op(b) over the last two dimensions. a is [..., m, k] ([..., k, m] when transA); b is either
    /// batched like a or a single matrix [k, n] ([n, k] when transB) shared by every batch item.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transA = false, bool transB = false)
    {
        if (a.Rank < 2 || b.Rank < 2) throw new ArgumentException($"MatMul needs matrices, got {a.Shape} and {b.Shape}");
        int m = transA ? a.Dim(-1) : a.Dim(-2), k = transA ? a.Dim(-2) : a.Dim(-1);
        int kb = transB ? b.Dim(-1) : b.Dim(-2), n = transB ? b.Dim(-2) : b.Dim(-1);
        if (k != kb) throw new ArgumentException($"MatMul: inner sizes differ ({a.Shape}{(transA ? "^T" : "")} @ {b.Shape}{(transB ? "^T" : "")})");
        long batch = a.Shape.Prod(0, a.Rank - 2);
        bool shared = b.Rank == 2 && batch > 1;
        if (!shared && b.Shape.Prod(0, b.Rank - 2) != batch)
            throw new ArgumentException($"MatMul: batch dimensions of {a.Shape} and {b.Shape} differ");
        var outDims = a.Shape.ToArray();
        outDims[^2] = m; outDims[^1] = n;
        var geo = new MatMulGeometry(transA, transB, m, n, k, batch, shared, a.Dim(-1), b.Dim(-1));
        var be = On("MatMul", a, b);
        var y = be.MatMul(a, b, geo, new Shape(outDims));
        if (Tape.Needs(a, b))
            Tape.Record(y, g =>
            {
                if (a.RequiresGrad) Accumulate(a, be.MatMulBackwardA(g, a, b, geo));
                if (b.RequiresGrad) Accumulate(b, be.MatMulBackwardB(g, a, b, geo));
            });
        return y;
    }

    /// <summary>x @ W^T + bias, the Hugging Face / PyTorch Linear (W is [out, in]); x is [..., in].</summary>
    public static Tensor Linear(Tensor x, Tensor w, Tensor? bias = null)
    {
        int inF = w.Dim(1), outF = w.Dim(0);
        if (x.Dim(-1) != inF) throw new ArgumentException($"Linear {w.Name ?? ""}: input {x.Shape} does not end in {inF}");
        if (bias is not null && (bias.Rank != 1 || bias.Dim(0) != outF)) throw new ArgumentException($"Linear: bias {bias.Shape} is not [{outF}]");
        int rows = checked((int)(x.Numel / inF));
        var be = On("Linear", x, w, bias);
        var y = be.Linear(x, w, bias, rows, inF, outF);
        if (Tape.Needs(x, w, bias))
            Tape.Record(y, g =>
            {
                if (x.RequiresGrad) Accumulate(x, be.LinearBackwardInput(g, x, w, rows, inF, outF));
                var fused = w.RequiresGrad ? TryFusedLinearParameterGradients(be, g, x, w, bias, rows, inF, outF) : LinearGradientFusion.None;
                if (w.RequiresGrad && fused == LinearGradientFusion.None) Accumulate(w, be.LinearBackwardWeight(g, x, w, rows, inF, outF));
                if (bias is not null && bias.RequiresGrad && fused != LinearGradientFusion.WeightAndBias) Accumulate(bias, be.SumLeading(g, bias.Shape, outF));
            });
        return y;
    }
}
