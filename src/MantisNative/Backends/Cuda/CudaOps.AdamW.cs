using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// AdamW with the fused multi-tensor kernel (kernels/adamw.cu): fp32 master weights and moments on the device, the
// BF16 parameter the forward reads rewritten from the master in the same launch. One launch per gradient dtype.
// The kernel computes the contract's formula in fp32 with rsqrtf for 1/sqrt(bc2) and w - lr wd w for the decay, so
// it agrees with the CPU to fp32 rounding, not bit for bit.
internal sealed partial class CudaOps
{
    public void AdamW(IReadOnlyList<AdamWSlot> slots, AdamWStep step)
    {
        foreach (var s in slots)
        {
            Require("AdamW", s.Master, DType.F32, "the master weight");
            if (s.Copy is not null) RequireBf16("AdamW", s.Copy);
        }
        float bc1 = (float)(1 - Math.Pow(step.Beta1, step.Step)), bc2 = (float)(1 - Math.Pow(step.Beta2, step.Step));
        foreach (var group in slots.GroupBy(s => s.Grad.DType))
        {
            var items = group.ToList();
            using var sizes = DeviceBuffer.FromHost<long>(_be.Context, items.Select(w => w.Master.Numel).ToArray());
            using var masters = Pointers(items.Select(w => w.Master));
            using var copies = Pointers(items.Select(w => w.Copy));
            using var grads = Pointers(items.Select(w => w.Grad));
            using var ms = Pointers(items.Select(w => w.M));
            using var vs = Pointers(items.Select(w => w.V));
            long longest = items.Max(w => w.Master.Numel);
            uint blocks = LaunchGeometry.GridStrideBlocks(longest, LaunchGeometry.DefaultBlock, _be.Context.Device.MultiprocessorCount);
            string fn = group.Key == DType.F32 ? "adamw_multi_tensor_f32_grad" : "adamw_multi_tensor_bf16_grad";
            _be.Launch("adamw", fn, new Dim3(blocks, (uint)items.Count), new KernelArgs()
                .Ptr(sizes).Ptr(masters).Ptr(copies).Ptr(grads).Ptr(ms).Ptr(vs)
                .Float((float)step.Lr).Float((float)step.Beta1).Float((float)step.Beta2).Float((float)step.Eps).Float((float)step.WeightDecay)
                .Float(bc1).Float(bc2).Float(step.GradScale));
            _be.Synchronize();   // the pointer arrays are freed on return
        }
    }

    private DeviceBuffer Pointers(IEnumerable<Tensor?> ts) =>
        DeviceBuffer.FromHost<ulong>(_be.Context, ts.Select(t => t?.DevicePointer ?? 0UL).ToArray());
}
