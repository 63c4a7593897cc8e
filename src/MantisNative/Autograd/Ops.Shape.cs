using MantisNative.Backends.Cuda;
using MantisNative.Backends.Cpu;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

/// <summary>Differentiable ops. Each runs the forward and, when an input requires grad, records its backward.</summary>
public static unsafe partial class Ops
{
    /// <summary>Same data, another shape (a view sharing memory); one dimension may be -1.</summary>
    public static Tensor Reshape(Tensor x, params int[] dims)
    {
        var y = x.View(new Shape(x.InferDims(dims)));
        if (Tape.Needs(x)) Tape.Record(y, g => x.AccumulateGrad(g.View(x.Shape)));
        return y;
    }

    /// <summary>A copy with dimensions reordered: output dimension k is input dimension perm[k].</summary>
    public static Tensor Permute(Tensor x, params int[] perm)
    {
        if (perm.Length != x.Rank || perm.Distinct().Count() != perm.Length || perm.Any(p => p < 0 || p >= x.Rank))
            throw new ArgumentException($"bad permutation [{string.Join(",", perm)}] for shape {x.Shape}");
        if (OnDevice(x)) return CudaOps.Permute(x, perm);
        var dims = x.Shape.ToArray();
        var y = Tensor.Empty(new Shape(perm.Select(p => dims[p]).ToArray()));
        Backends.Cpu.Permute.Run(x.Data, dims, perm, y.Data);
        if (Tape.Needs(x))
        {
            var inv = new int[perm.Length];
            for (int k = 0; k < perm.Length; k++) inv[perm[k]] = k;
            Tape.Record(y, g =>
            {
                using var gx = Tensor.Zeros(x.Shape);
                Backends.Cpu.Permute.Run(g.Data, g.Shape.ToArray(), inv, gx.Data);
                x.AccumulateGrad(gx);
            });
        }
        return y;
    }

    /// <summary>A copy with two dimensions swapped.</summary>
    public static Tensor Transpose(Tensor x, int d0, int d1)
    {
        int r = x.Rank;
        d0 = d0 < 0 ? d0 + r : d0; d1 = d1 < 0 ? d1 + r : d1;
        var perm = Enumerable.Range(0, r).ToArray();
        (perm[d0], perm[d1]) = (perm[d1], perm[d0]);
        return Permute(x, perm);
    }

    /// <summary>A copy of [start, start+length) along <paramref name="dim"/>.</summary>
    public static Tensor Slice(Tensor x, int dim, int start, int length)
    {
        dim = dim < 0 ? dim + x.Rank : dim;
        if (start < 0 || length < 0 || start + length > x.Dim(dim))
            throw new ArgumentException($"slice [{start}, {start + length}) out of range for dimension {dim} of {x.Shape}");
        long outer = x.Shape.Prod(0, dim), inner = x.Shape.Prod(dim + 1, x.Rank);
        int full = x.Dim(dim);
        if (OnDevice(x)) return CudaOps.Slice(x, dim, start, length, outer, inner);
        var y = Tensor.Empty(x.Shape.With(dim, length));
        CopyBlocks(x.Data, full, start, y.Data, length, 0, length, outer, inner);
        if (Tape.Needs(x))
            Tape.Record(y, g =>
            {
                using var gx = Tensor.Zeros(x.Shape);
                CopyBlocks(g.Data, length, 0, gx.Data, full, start, length, outer, inner);
                x.AccumulateGrad(gx);
            });
        return y;
    }

    /// <summary>
    /// Writes <paramref name="src"/> into <paramref name="dst"/> in place at [start, start + src.Dim(dim)) along
    /// <paramref name="dim"/> (all other dimensions equal). Not recorded on the tape: it fills buffers such as a
    /// preallocated KV cache, never values that need gradients.
    /// </summary>
    public static void WriteSlice(Tensor dst, int dim, int start, Tensor src)
    {
        dim = dim < 0 ? dim + dst.Rank : dim;
        for (int i = 0; i < dst.Rank; i++)
            if (i != dim && (src.Rank != dst.Rank || src.Dim(i) != dst.Dim(i)))
                throw new ArgumentException($"WriteSlice: shape {src.Shape} does not match {dst.Shape} outside dimension {dim}");
        int count = src.Dim(dim);
        if (start < 0 || start + count > dst.Dim(dim))
            throw new ArgumentException($"WriteSlice: [{start}, {start + count}) out of range for dimension {dim} of {dst.Shape}");
        long outer = dst.Shape.Prod(0, dim), inner = dst.Shape.Prod(dim + 1, dst.Rank);
        if (OnDevice("WriteSlice", dst, src)) { CudaOps.WriteSlice(src, count, dst, dst.Dim(dim), start, outer, inner); return; }
        CopyBlocks(src.Data, count, 0, dst.Data, dst.Dim(dim), start, count, outer, inner);
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

    /// <summary>Joins tensors along <paramref name="dim"/>; all other dimensions must agree.</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> xs, int dim)
    {
        if (xs.Count == 0) throw new ArgumentException("Concat needs at least one tensor");
        var first = xs[0];
        dim = dim < 0 ? dim + first.Rank : dim;
        foreach (var t in xs)
            for (int i = 0; i < first.Rank; i++)
                if (i != dim && (t.Rank != first.Rank || t.Dim(i) != first.Dim(i)))
                    throw new ArgumentException($"Concat: shape {t.Shape} does not match {first.Shape} outside dimension {dim}");
        int total = xs.Sum(t => t.Dim(dim));
        long outer = first.Shape.Prod(0, dim), inner = first.Shape.Prod(dim + 1, first.Rank);
        if (OnDevice("Concat", xs)) return CudaOps.Concat(xs, dim, total, outer, inner);
        var y = Tensor.Empty(first.Shape.With(dim, total));
        int at = 0;
        foreach (var t in xs)
        {
            CopyBlocks(t.Data, t.Dim(dim), 0, y.Data, total, at, t.Dim(dim), outer, inner);
            at += t.Dim(dim);
        }
        if (Tape.Needs(xs))
            Tape.Record(y, g =>
            {
                int pos = 0;
                foreach (var t in xs)
                {
                    int n = t.Dim(dim);
                    if (t.RequiresGrad)
                    {
                        using var gt = Tensor.Zeros(t.Shape);
                        CopyBlocks(g.Data, total, pos, gt.Data, n, 0, n, outer, inner);
                        t.AccumulateGrad(gt);
                    }
                    pos += n;
                }
            });
        return y;
    }

    /// <summary>Rows of <paramref name="x"/> (along dimension 0) picked by <paramref name="index"/>; repeats allowed.</summary>
    public static Tensor IndexSelect(Tensor x, int[] index)
    {
        int rows = x.Dim(0);
        long inner = x.Shape.Prod(1, x.Rank);
        foreach (var i in index)
            if ((uint)i >= (uint)rows) throw new ArgumentException($"IndexSelect: index {i} out of range for {rows} rows");
        if (OnDevice(x)) return CudaOps.IndexSelect(x, index);
        var y = Tensor.Empty(x.Shape.With(0, index.Length));
        float* src = x.Data, dst = y.Data;
        for (int r = 0; r < index.Length; r++)
            new ReadOnlySpan<float>(src + index[r] * inner, (int)inner).CopyTo(new Span<float>(dst + r * inner, (int)inner));
        if (Tape.Needs(x))
            Tape.Record(y, g =>
            {
                using var gx = Tensor.Zeros(x.Shape);
                float* gs = g.Data, gd = gx.Data;
                for (int r = 0; r < index.Length; r++)
                    System.Numerics.Tensors.TensorPrimitives.Add(new ReadOnlySpan<float>(gd + index[r] * inner, (int)inner),
                        new ReadOnlySpan<float>(gs + r * inner, (int)inner), new Span<float>(gd + index[r] * inner, (int)inner));
                x.AccumulateGrad(gx);
            });
        return y;
    }
}
