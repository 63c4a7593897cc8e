using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu;

internal sealed unsafe partial class CpuOps
{
    public Tensor Permute(Tensor x, int[] perm)
    {
        var dims = x.Shape.ToArray();
        var y = Tensor.Empty(new Shape(perm.Select(p => dims[p]).ToArray()));
        Cpu.Permute.Run(x.Data, dims, perm, y.Data);
        return y;
    }

    public Tensor Slice(Tensor x, int dim, int start, int length, long outer, long inner)
    {
        var y = Tensor.Empty(x.Shape.With(dim, length));
        CopyBlocks(x.Data, x.Dim(dim), start, y.Data, length, 0, length, outer, inner);
        return y;
    }

    public Tensor SliceBackward(Tensor g, Tensor like, int dim, int start, int length, long outer, long inner)
    {
        var gx = Tensor.Zeros(like.Shape);
        CopyBlocks(g.Data, length, 0, gx.Data, like.Dim(dim), start, length, outer, inner);
        return gx;
    }

    public Tensor Concat(IReadOnlyList<Tensor> xs, int dim, int total, long outer, long inner)
    {
        var y = Tensor.Empty(xs[0].Shape.With(dim, total));
        int at = 0;
        foreach (var t in xs)
        {
            CopyBlocks(t.Data, t.Dim(dim), 0, y.Data, total, at, t.Dim(dim), outer, inner);
            at += t.Dim(dim);
        }
        return y;
    }

    public Tensor ConcatBackward(Tensor g, Tensor like, int dim, int start, int total, long outer, long inner)
    {
        int n = like.Dim(dim);
        var gt = Tensor.Zeros(like.Shape);
        CopyBlocks(g.Data, total, start, gt.Data, n, 0, n, outer, inner);
        return gt;
    }

    public void WriteSlice(Tensor src, Tensor dst, int dstDim, int dstStart, long outer, long inner)
    {
        int count = (int)(src.Numel / (outer * inner));
        CopyBlocks(src.Data, count, 0, dst.Data, dstDim, dstStart, count, outer, inner);
    }

    /// <summary>Copies `count` slices of `inner` elements between two tensors that differ in one dimension.</summary>
    private static void CopyBlocks(float* src, int srcDim, int srcStart, float* dst, int dstDim, int dstStart, int count, long outer, long inner)
    {
        long bytes = count * inner;
        for (long o = 0; o < outer; o++)
        {
            var s = new ReadOnlySpan<float>(src + (o * srcDim + srcStart) * inner, checked((int)bytes));
            s.CopyTo(new Span<float>(dst + (o * dstDim + dstStart) * inner, checked((int)bytes)));
        }
    }

    public Tensor IndexSelect(Tensor x, Tensor index)
    {
        var ids = index.AsSpan<int>();
        long inner = x.Shape.Prod(1, x.Rank);
        var y = Tensor.Empty(x.Shape.With(0, ids.Length));
        float* src = x.Data, dst = y.Data;
        for (int r = 0; r < ids.Length; r++)
            new ReadOnlySpan<float>(src + ids[r] * inner, (int)inner).CopyTo(new Span<float>(dst + r * inner, (int)inner));
        return y;
    }

    public Tensor IndexSelectBackward(Tensor g, Tensor x, Tensor index)
    {
        var ids = index.AsSpan<int>();
        long inner = x.Shape.Prod(1, x.Rank);
        var gx = Tensor.Zeros(x.Shape);
        float* gs = g.Data, gd = gx.Data;
        for (int r = 0; r < ids.Length; r++)
            TensorPrimitives.Add(new ReadOnlySpan<float>(gd + ids[r] * inner, (int)inner),
                new ReadOnlySpan<float>(gs + r * inner, (int)inner), new Span<float>(gd + ids[r] * inner, (int)inner));
        return gx;
    }
}
