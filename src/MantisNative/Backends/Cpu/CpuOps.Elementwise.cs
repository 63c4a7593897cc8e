using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu;

internal sealed unsafe partial class CpuOps
{
    public Tensor Add(Tensor a, Tensor b, long inner)
    {
        var y = Tensor.Empty(a.Shape);
        if (inner == 1 && a.Numel != 1) TensorPrimitives.Add(a.Span, b.Span[0], y.Span);
        else Elementwise.Add(a.Data, a.Numel / Math.Max(1, inner), inner, b.Data, y.Data);
        return y;
    }

    public Tensor SumLeading(Tensor g, Shape shape, long inner)
    {
        var gb = Tensor.Zeros(shape);
        if (inner == 1) gb.Span[0] = TensorPrimitives.Sum(g.Span);
        else Elementwise.SumBlocks(g.Data, g.Numel / inner, inner, gb.Data);
        return gb;
    }

    public Tensor Mul(Tensor a, Tensor b, long inner)
    {
        var y = Tensor.Empty(a.Shape);
        if (inner == 1 && a.Numel != 1) TensorPrimitives.Multiply(a.Span, b.Span[0], y.Span);
        else Elementwise.Mul(a.Data, a.Numel / Math.Max(1, inner), inner, b.Data, y.Data);
        return y;
    }

    public Tensor MulBackwardBroadcast(Tensor g, Tensor a, Shape shape, long inner)
    {
        var gb = Tensor.Zeros(shape);
        if (inner == 1) gb.Span[0] = TensorPrimitives.Dot(g.Span, a.Span);
        else Elementwise.SumProductBlocks(g.Data, a.Data, a.Numel / inner, inner, gb.Data);
        return gb;
    }

    public Tensor Scale(Tensor x, float s)
    {
        var y = Tensor.Empty(x.Shape);
        TensorPrimitives.Multiply(x.Span, s, y.Span);
        return y;
    }

    public Tensor Sum(Tensor x)
    {
        double s = 0;
        var span = x.Span;
        // Chunked float sums added in double: accurate and still SIMD.
        for (int i = 0; i < span.Length; i += 4096) s += TensorPrimitives.Sum(span.Slice(i, Math.Min(4096, span.Length - i)));
        return Tensor.Scalar((float)s);
    }

    public Tensor SumBackward(Tensor g, Tensor like) => Tensor.Full(like.Shape, g.Span[0]);
}
