using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// The global gradient norm with kernels/grad_norm.cu: per-tensor partial sums of squares (one launch per gradient
// dtype, each writing its own rows of one partials buffer), then one block adds them in double in a fixed order.
// The size and pointer tables stay on the device between steps (MultiTensorTables); nothing here waits: the caller
// reads the one scalar.
internal sealed partial class CudaOps
{
    public Tensor GradSquaredNorm(IReadOnlyList<Tensor> grads)
    {
        if (grads.Count == 0) throw new ArgumentException("GradSquaredNorm: no gradients");
        foreach (var g in grads)
            if (g.DType is not (DType.F32 or DType.BF16)) throw new ArgumentException($"GradSquaredNorm: gradient of {g.DType}, expected F32 or BF16");
        var ordered = grads.OrderBy(g => g.DType).ToList();   // F32 first, then BF16: each dtype's rows are contiguous
        long longest = ordered.Max(g => g.Numel);
        uint blocks = Math.Min(64u, LaunchGeometry.GridStrideBlocks(longest, LaunchGeometry.DefaultBlock, _be.Context.Device.MultiprocessorCount));
        var first = ordered[0];
        using var partials = EmptyF32(first, new Shape(ordered.Count * (int)blocks));
        int row = 0;
        foreach (var group in ordered.GroupBy(g => g.DType))
        {
            var items = group.ToList();
            var t = Tables($"grad_norm/{group.Key}").Begin().Sizes(items).Pointers(items).Commit();
            string fn = group.Key == DType.F32 ? "grad_sumsq_partial_f32" : "grad_sumsq_partial_bf16";
            _be.Launch("grad_norm", fn, new Dim3(blocks, (uint)items.Count),
                new KernelArgs().Ptr(t[0]).Ptr(t[1]).Ptr(partials.DevicePointer + (ulong)row * blocks * 4));
            row += items.Count;
        }
        var total = EmptyF32(first, new Shape(1));
        using var norm = EmptyF32(first, new Shape(1));
        _be.Launch("grad_norm", "grad_norm_finalize", new Dim3(1), new KernelArgs()
            .Ptr(partials.DevicePointer).Int(ordered.Count).Int((int)blocks).Ptr(0UL).Ptr(total.DevicePointer).Ptr(norm.DevicePointer));
        return total;
    }
}
