using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// The global gradient norm's sum of squares with kernels/grad_norm.cu: grid (blocks, tensors) of fixed per-block
// partials, then one block sums them in double in index order. Deterministic, and nothing is read back here: the
// trainer reads the one scalar when it decides the step.
internal sealed partial class CudaOps
{
    /// <summary>Blocks per tensor: enough to keep the card busy on the largest gradient, fixed for a given set of sizes.</summary>
    private const int SumOfSquaresThreads = 256;

    public Tensor SumOfSquares(IReadOnlyList<Tensor> tensors)
    {
        if (tensors.Count == 0) throw new ArgumentException("SumOfSquares of no tensors");
        var device = tensors[0].Device;
        Tensor? total = null;
        foreach (var group in tensors.Where(t => t.Numel > 0).GroupBy(t => t.DType).OrderBy(g => g.Key))
        {
            if (group.Key is not (DType.F32 or DType.BF16))
                throw new MantisException($"SumOfSquares on {device}: tensors must be F32 or BF16, got {group.Key}");
            var items = group.ToList();
            long longest = items.Max(t => t.Numel);
            uint blocks = LaunchGeometry.GridStrideBlocks(longest, SumOfSquaresThreads, _be.Context.Device.MultiprocessorCount);
            using var sizes = DeviceBuffer.FromHost<long>(_be.Context, items.Select(t => t.Numel).ToArray());
            using var ptrs = Pointers(items);
            using var partials = Tensor.EmptyOn(device, new Shape(checked((int)(blocks * items.Count))), DType.F32);
            var part = Tensor.EmptyOn(device, new Shape(1), DType.F32);
            using var norm = Tensor.EmptyOn(device, new Shape(1), DType.F32);
            _be.Launch("grad_norm", group.Key == DType.F32 ? "grad_sumsq_partial_f32" : "grad_sumsq_partial_bf16",
                new Dim3(blocks, (uint)items.Count), new KernelArgs().Ptr(sizes).Ptr(ptrs).Ptr(partials.DevicePointer), SumOfSquaresThreads);
            _be.Launch("grad_norm", "grad_norm_finalize", 1, new KernelArgs()
                .Ptr(partials.DevicePointer).Int(items.Count).Int((int)blocks).Ptr(0UL).Ptr(part.DevicePointer).Ptr(norm.DevicePointer), SumOfSquaresThreads);
            if (total is null) total = part;
            else
            {
                _be.AddInto(total, part);
                part.Dispose();
            }
        }
        return total ?? Tensor.ZerosOn(device, new Shape(1), DType.F32);
    }
}
