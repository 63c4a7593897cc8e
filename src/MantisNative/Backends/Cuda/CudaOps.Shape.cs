using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// Permute, Slice, Concat and IndexSelect (kernels/tensor_ops.cu, kernels/embedding.cu). The copies move raw 2- or
// 4-byte words, so they serve BF16 activations and F32 tensors alike.
internal sealed partial class CudaOps
{
    private static string Words(Tensor t, string op) => t.DType.SizeOf() switch
    {
        2 => "2b",
        4 => "4b",
        _ => throw new MantisException($"{op} on {t.Device} moves 2- or 4-byte elements, not {t.DType}"),
    };

    public Tensor Permute(Tensor x, int[] perm)
    {
        var y = Tensor.EmptyOn(x.Device, new Shape(perm.Select(p => x.Dim(p)).ToArray()), x.DType);
        PermuteInto(x, perm, y);
        return y;
    }

    /// <summary>y = x with output dimension k taken from input dimension perm[k] (dims padded in front to rank 6).</summary>
    private void PermuteInto(Tensor x, int[] perm, Tensor y)
    {
        var (dims, strides) = PermuteGeometry.For(x.Shape.ToArray(), perm);
        long n = x.Numel;
        if (n == 0) return;
        var args = new KernelArgs().Ptr(P(x)).Ptr(P(y)).Long(n);
        foreach (var d in dims) args.Int(d);
        foreach (var s in strides) args.Long(s);
        _be.Launch("tensor_ops", "permute_" + Words(x, "Permute"), _be.Blocks(n), args);
    }

    /// <summary>Copies count slices of inner elements between tensors that differ in one dimension (see CopyBlocks on the CPU).</summary>
    private void CopyBlocks(Tensor src, int srcDim, int srcStart, Tensor dst, int dstDim, int dstStart, int count, long outer, long inner)
    {
        long n = outer * count * inner;
        if (n == 0) return;
        _be.Launch("tensor_ops", "copy_blocks_" + Words(src, "Slice/Concat"), _be.Blocks(n), new KernelArgs()
            .Ptr(P(src)).Int(srcDim).Int(srcStart).Ptr(P(dst)).Int(dstDim).Int(dstStart).Int(count).Long(outer).Long(inner));
    }

    public Tensor Slice(Tensor x, int dim, int start, int length, long outer, long inner)
    {
        var y = Tensor.EmptyOn(x.Device, x.Shape.With(dim, length), x.DType);
        CopyBlocks(x, x.Dim(dim), start, y, length, 0, length, outer, inner);
        return y;
    }

    public Tensor SliceBackward(Tensor g, Tensor like, int dim, int start, int length, long outer, long inner)
    {
        var gx = Tensor.ZerosOn(g.Device, like.Shape, g.DType);
        CopyBlocks(g, length, 0, gx, like.Dim(dim), start, length, outer, inner);
        return gx;
    }

    public void WriteSlice(Tensor src, Tensor dst, int dstDim, int dstStart, long outer, long inner)
    {
        int count = (int)(src.Numel / (outer * inner));
        CopyBlocks(src, count, 0, dst, dstDim, dstStart, count, outer, inner);
    }

    public Tensor Concat(IReadOnlyList<Tensor> xs, int dim, int total, long outer, long inner)
    {
        var first = xs[0];
        foreach (var t in xs)
            if (t.DType != first.DType) throw new MantisException($"Concat on {first.Device}: dtypes differ ({first.DType} and {t.DType})");
        var y = Tensor.EmptyOn(first.Device, first.Shape.With(dim, total), first.DType);
        int at = 0;
        foreach (var t in xs)
        {
            CopyBlocks(t, t.Dim(dim), 0, y, total, at, t.Dim(dim), outer, inner);
            at += t.Dim(dim);
        }
        return y;
    }

    public Tensor ConcatBackward(Tensor g, Tensor like, int dim, int start, int total, long outer, long inner)
    {
        int n = like.Dim(dim);
        var gt = Tensor.EmptyOn(g.Device, like.Shape, g.DType);
        CopyBlocks(g, total, start, gt, n, 0, n, outer, inner);
        return gt;
    }

    /// <summary>Rows of x picked by index: the embedding gather; its backward is the fp32 scatter-add.</summary>
    public Tensor IndexSelect(Tensor x, Tensor index)
    {
        RequireBf16("IndexSelect", x);
        Require("IndexSelect", index, DType.I32, "the index");
        int rows = x.Dim(0);
        int inner = checked((int)x.Shape.Prod(1, x.Rank));
        long count = index.Numel;
        var y = Bf16Like(x, x.Shape.With(0, checked((int)count)));
        long n = count * inner;
        if (n > 0)
            _be.Launch("embedding", "embedding_forward", _be.Blocks(n),
                new KernelArgs().Ptr(P(x)).Ptr(P(index)).Ptr(P(y)).Long(count).Int(inner).Int(rows));
        return y;
    }

    public Tensor IndexSelectBackward(Tensor g, Tensor x, Tensor index)
    {
        RequireBf16("IndexSelect backward", g);
        int rows = x.Dim(0);
        int inner = checked((int)x.Shape.Prod(1, x.Rank));
        long count = index.Numel, n = count * inner;
        var gx = ZerosF32(x);
        if (n > 0)
        {
            var (blocks, threads, rowsPerBlock) = LaunchGeometry.TableScatter(rows, inner, _be.Context.Device.MultiprocessorCount);
            _be.Launch("embedding", "embedding_backward", blocks,
                new KernelArgs().Ptr(P(g)).Ptr(P(index)).Ptr(P(gx)).Long(count).Int(inner).Int(rows).Int(rowsPerBlock), threads);
        }
        return gx;
    }
}
