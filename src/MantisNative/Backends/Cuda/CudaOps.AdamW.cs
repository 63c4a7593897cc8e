using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// AdamW with the fused multi-tensor kernel (kernels/adamw.cu): fp32 master weights and moments on the device, the
// BF16 parameter the forward reads rewritten from the master in the same launch. One launch per gradient dtype.
// The kernel computes the contract's formula in fp32 with rsqrtf for 1/sqrt(bc2) and w - lr wd w for the decay, so
// it agrees with the CPU to fp32 rounding, not bit for bit. Compressed moments (bf16, 8-bit blockwise: MomentCodec)
// have their own kernels, which do the CPU primitive's arithmetic in its order.
internal sealed partial class CudaOps
{
    private DeviceBuffer? _momentMaps;

    public void AdamW(IReadOnlyList<AdamWSlot> slots, AdamWStep step)
    {
        foreach (var s in slots)
        {
            Require("AdamW", s.Master, DType.F32, "the master weight");
            if (s.Copy is not null) RequireBf16("AdamW", s.Copy);
        }
        foreach (var byFormat in slots.GroupBy(s => s.Format))
        {
            var list = byFormat.ToList();
            if (byFormat.Key == MomentFormat.Fp32) AdamWFp32(list, step);
            else AdamWCompressed(list, step, byFormat.Key);
        }
    }

    private void AdamWFp32(IReadOnlyList<AdamWSlot> slots, AdamWStep step)
    {
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

    /// <summary>bf16 or 8-bit moments: the scalars cast from double exactly as the CPU primitive casts them.</summary>
    private void AdamWCompressed(IReadOnlyList<AdamWSlot> slots, AdamWStep step, MomentFormat format)
    {
        double bc1 = 1 - Math.Pow(step.Beta1, step.Step), bc2 = 1 - Math.Pow(step.Beta2, step.Step);
        KernelArgs Scalars(KernelArgs a) => a
            .Float((float)(step.Lr / bc1)).Float((float)Math.Sqrt(bc2)).Float((float)step.Beta1).Float((float)step.Beta2)
            .Float((float)(1 - step.Beta1)).Float((float)(1 - step.Beta2)).Float((float)step.Eps).Float((float)(1 - step.Lr * step.WeightDecay))
            .Int(step.WeightDecay != 0 ? 1 : 0).Float(step.GradScale).Add(step.Seed).Int(step.Step);
        foreach (var group in slots.GroupBy(s => s.Grad.DType))
        {
            var items = group.ToList();
            string grad = group.Key == DType.F32 ? "f32_grad" : "bf16_grad";
            using var sizes = DeviceBuffer.FromHost<long>(_be.Context, items.Select(w => w.Master.Numel).ToArray());
            using var masters = Pointers(items.Select(w => w.Master));
            using var copies = Pointers(items.Select(w => w.Copy));
            using var grads = Pointers(items.Select(w => w.Grad));
            using var ms = Pointers(items.Select(w => w.M));
            using var vs = Pointers(items.Select(w => w.V));
            long longest = items.Max(w => w.Master.Numel);
            if (format == MomentFormat.Bf16)
            {
                using var streams = DeviceBuffer.FromHost<uint>(_be.Context, items.Select(w => w.Stream).ToArray());
                uint blocks = LaunchGeometry.GridStrideBlocks(longest, LaunchGeometry.DefaultBlock, _be.Context.Device.MultiprocessorCount);
                _be.Launch("adamw", "adamw_bf16_states_" + grad, new Dim3(blocks, (uint)items.Count),
                    Scalars(new KernelArgs().Ptr(sizes).Ptr(masters).Ptr(copies).Ptr(grads).Ptr(ms).Ptr(vs).Ptr(streams)));
                _be.Synchronize();
                continue;
            }
            foreach (var s in items)
                if (s.MScale is null || s.VScale is null || s.MScale.Numel != MomentCodec.Blocks(s.Master.Numel))
                    throw new MantisException("AdamW: 8-bit moments need one F32 absmax per block of 256 values");
            using var sms = Pointers(items.Select(w => w.MScale));
            using var svs = Pointers(items.Select(w => w.VScale));
            _momentMaps ??= DeviceBuffer.FromHost<float>(_be.Context, MomentCodec.Signed.Concat(MomentCodec.Unsigned).ToArray());
            // one 256-thread block per absmax block, capped: a block walks several with a stride
            uint qblocks = (uint)Math.Min(MomentCodec.Blocks(longest), 32L * _be.Context.Device.MultiprocessorCount);
            _be.Launch("adamw", "adamw_8bit_states_" + grad, new Dim3(qblocks, (uint)items.Count),
                Scalars(new KernelArgs().Ptr(sizes).Ptr(masters).Ptr(copies).Ptr(grads).Ptr(ms).Ptr(vs).Ptr(sms).Ptr(svs).Ptr(_momentMaps)),
                threads: MomentCodec.BlockSize);
            _be.Synchronize();   // the pointer arrays are freed on return
        }
    }
}
