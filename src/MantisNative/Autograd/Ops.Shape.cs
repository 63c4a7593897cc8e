using System.Runtime.InteropServices;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

/// <summary>
/// Differentiable ops. Each checks its inputs, runs the forward primitive of its inputs' device and, when an input
/// requires grad, records one backward that calls the same device's backward primitive (Backends.IOpPrimitives).
/// </summary>
public static partial class Ops
{
    /// <summary>Same data, another shape (a view sharing memory); one dimension may be -1.</summary>
    public static Tensor Reshape(Tensor x, params int[] dims)
    {
        var y = x.View(new Shape(x.InferDims(dims)));
        if (Tape.Needs(x)) Tape.Record(y, g => Accumulate(x, g.View(x.Shape)));
        return y;
    }

    /// <summary>A copy with dimensions reordered: output dimension k is input dimension perm[k].</summary>
    public static Tensor Permute(Tensor x, params int[] perm)
    {
        if (perm.Length != x.Rank || perm.Distinct().Count() != perm.Length || perm.Any(p => p < 0 || p >= x.Rank))
            throw new ArgumentException($"bad permutation [{string.Join(",", perm)}] for shape {x.Shape}");
        var be = On(x);
        var y = be.Permute(x, perm);
        if (Tape.Needs(x))
        {
            var inv = new int[perm.Length];
            for (int k = 0; k < perm.Length; k++) inv[perm[k]] = k;
            Tape.Record(y, g => Accumulate(x, be.Permute(g, inv)));
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
        var be = On(x);
        var y = be.Slice(x, dim, start, length, outer, inner);
        if (Tape.Needs(x)) Tape.Record(y, g => Accumulate(x, be.SliceBackward(g, x, dim, start, length, outer, inner)));
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
        if (src.DType != dst.DType) throw new ArgumentException($"WriteSlice: dtypes differ ({src.DType} into {dst.DType})");
        long outer = dst.Shape.Prod(0, dim), inner = dst.Shape.Prod(dim + 1, dst.Rank);
        On("WriteSlice", dst, src).WriteSlice(src, dst, dst.Dim(dim), start, outer, inner);
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
        var be = On("Concat", xs);
        var y = be.Concat(xs, dim, total, outer, inner);
        if (Tape.Needs(xs))
            Tape.Record(y, g =>
            {
                int pos = 0;
                foreach (var t in xs)
                {
                    if (t.RequiresGrad) Accumulate(t, be.ConcatBackward(g, t, dim, pos, total, outer, inner));
                    pos += t.Dim(dim);
                }
            });
        return y;
    }

    /// <summary>Rows of <paramref name="x"/> (along dimension 0) picked by <paramref name="index"/>; repeats allowed.</summary>
    public static Tensor IndexSelect(Tensor x, int[] index)
    {
        int rows = x.Dim(0);
        foreach (var i in index)
            if ((uint)i >= (uint)rows) throw new ArgumentException($"IndexSelect: index {i} out of range for {rows} rows");
        var ids = IdTensor(index, x.Device);
        var y = IndexSelect(x, ids);
        if (!Tape.Needs(x)) ids.Dispose();   // else the backward reads it
        return y;
    }

    /// <summary>Rows of x picked by an I32 index tensor on x's device (checked in range by whoever made it).</summary>
    public static Tensor IndexSelect(Tensor x, Tensor index)
    {
        if (index.DType != DType.I32 || index.Rank != 1) throw new ArgumentException($"IndexSelect: the index must be I32 [n], got {index.DType} {index.Shape}");
        var be = On("IndexSelect", x, index);
        var y = be.IndexSelect(x, index);
        if (Tape.Needs(x)) Tape.Record(y, g => Accumulate(x, be.IndexSelectBackward(g, x, index)));
        return y;
    }

    /// <summary>I32 ids [n] on <paramref name="device"/> (token ids, targets): one upload per batch.</summary>
    public static Tensor IdTensor(int[] ids, Device device)
    {
        var host = Tensor.FromBytes(MemoryMarshal.AsBytes(ids.AsSpan()), DType.I32, new Shape(ids.Length));
        if (device.IsCpu) return host;
        using (host) return host.To(device, DType.I32);
    }
}
