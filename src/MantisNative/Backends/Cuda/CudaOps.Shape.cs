using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// Permute, Slice, Concat and IndexSelect (kernels/tensor_ops.cu, kernels/embedding.cu). The copies move raw 2- or
// 4-byte words, so they serve BF16 activations and F32 tensors alike.
public static partial class CudaOps
{
    private static string Words(Tensor t, string op) => t.DType.SizeOf() switch
    {
        2 => "2b",
        4 => "4b",
        _ => throw new MantisException($"{op} on {t.Device} moves 2- or 4-byte elements, not {t.DType}"),
    };

    public static Tensor Permute(Tensor x, int[] perm)
    {
        var y = Tensor.EmptyOn(x.Device, new Shape(perm.Select(p => x.Dim(p)).ToArray()), x.DType);
        PermuteInto(x, perm, y);
        if (Tape.Needs(x))
        {
            var inv = new int[perm.Length];
            for (int k = 0; k < perm.Length; k++) inv[perm[k]] = k;
            Record(y, g =>
            {
                using var gx = Tensor.EmptyOn(g.Device, x.Shape, g.DType);
                PermuteInto(g, inv, gx);
                x.AccumulateGrad(gx);
            });
        }
        return y;
    }

    /// <summary>y = x with output dimension k taken from input dimension perm[k] (dims padded in front to rank 6).</summary>
    internal static void PermuteInto(Tensor x, int[] perm, Tensor y)
    {
        var (dims, strides) = PermuteGeometry.For(x.Shape.ToArray(), perm);
        long n = x.Numel;
        if (n == 0) return;
        var be = Be(x);
        var args = new KernelArgs().Ptr(P(x)).Ptr(P(y)).Long(n);
        foreach (var d in dims) args.Int(d);
        foreach (var s in strides) args.Long(s);
        be.Launch("tensor_ops", "permute_" + Words(x, "Permute"), be.Blocks(n), args);
    }

    /// <summary>Copies count slices of inner elements between tensors that differ in one dimension (see CopyBlocks on the CPU).</summary>
    private static void CopyBlocks(Tensor src, int srcDim, int srcStart, Tensor dst, int dstDim, int dstStart, int count, long outer, long inner)
    {
        long n = outer * count * inner;
        if (n == 0) return;
        var be = Be(src);
        be.Launch("tensor_ops", "copy_blocks_" + Words(src, "Slice/Concat"), be.Blocks(n), new KernelArgs()
            .Ptr(P(src)).Int(srcDim).Int(srcStart).Ptr(P(dst)).Int(dstDim).Int(dstStart).Int(count).Long(outer).Long(inner));
    }

    /// <summary>In-place write of src into dst at dstStart along one dimension (Ops.WriteSlice; no tape).</summary>
    public static void WriteSlice(Tensor src, int count, Tensor dst, int dstDim, int dstStart, long outer, long inner)
    {
        if (src.DType != dst.DType) throw new MantisException($"WriteSlice on {dst.Device}: dtypes differ ({src.DType} and {dst.DType})");
        CopyBlocks(src, count, 0, dst, dstDim, dstStart, count, outer, inner);
    }

    public static Tensor Slice(Tensor x, int dim, int start, int length, long outer, long inner)
    {
        int full = x.Dim(dim);
        var y = Tensor.EmptyOn(x.Device, x.Shape.With(dim, length), x.DType);
        CopyBlocks(x, full, start, y, length, 0, length, outer, inner);
        if (Tape.Needs(x))
            Record(y, g =>
            {
                using var gx = Tensor.ZerosOn(g.Device, x.Shape, g.DType);
                CopyBlocks(g, length, 0, gx, full, start, length, outer, inner);
                x.AccumulateGrad(gx);
            });
        return y;
    }

    public static Tensor Concat(IReadOnlyList<Tensor> xs, int dim, int total, long outer, long inner)
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
        if (Tape.Needs(xs))
            Record(y, g =>
            {
                int pos = 0;
                foreach (var t in xs)
                {
                    int n = t.Dim(dim);
                    if (t.RequiresGrad)
                    {
                        using var gt = Tensor.EmptyOn(g.Device, t.Shape, g.DType);
                        CopyBlocks(g, total, pos, gt, n, 0, n, outer, inner);
                        t.AccumulateGrad(gt);
                    }
                    pos += n;
                }
            });
        return y;
    }

    /// <summary>Rows of x picked by index: the embedding gather; its backward is the fp32 scatter-add.</summary>
    public static Tensor IndexSelect(Tensor x, int[] index)
    {
        RequireBf16("IndexSelect", x);
        var be = Be(x);
        int rows = x.Dim(0);
        int inner = checked((int)x.Shape.Prod(1, x.Rank));
        var y = Bf16Like(x, x.Shape.With(0, index.Length));
        var ids = Ints(x, index);
        long n = (long)index.Length * inner;
        if (n > 0)
            be.Launch("embedding", "embedding_forward", be.Blocks(n),
                new KernelArgs().Ptr(P(x)).Ptr(P(ids)).Ptr(P(y)).Long(index.Length).Int(inner).Int(rows));
        if (!Tape.Needs(x)) { ids.Dispose(); return y; }
        Record(y, g =>
        {
            using var gx = ZerosF32(x);
            if (n > 0)
                be.Launch("embedding", "embedding_backward", be.Blocks(n),
                    new KernelArgs().Ptr(P(g)).Ptr(P(ids)).Ptr(P(gx)).Long(index.Length).Int(inner).Int(rows));
            x.AccumulateGrad(gx);
        });
        return y;
    }
}
