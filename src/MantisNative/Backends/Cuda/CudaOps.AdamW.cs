using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// AdamW with the fused multi-tensor kernels (kernels/adamw.cu): fp32 master weights and moments on the device, the
// BF16 parameter the forward reads rewritten from the master in the same launch. One launch per (moment format,
// gradient dtype). The fp32-moment kernel computes the contract's formula in fp32 with rsqrtf for 1/sqrt(bc2) and
// w - lr wd w for the decay, so it agrees with the CPU to fp32 rounding, not bit for bit. Compressed moments (bf16,
// 8-bit blockwise: MomentCodec) have their own kernels, which do the CPU primitive's arithmetic in its order.
// The size and pointer tables stay on the device between steps (MultiTensorTables: one set per launch kind, only
// changed entries restaged, no host wait), so a step uploads nothing synchronously here.
internal sealed partial class CudaOps
{
    private DeviceBuffer? _momentMaps;

    public void AdamW(IReadOnlyList<AdamWSlot> slots, AdamWStep step)
    {
        foreach (var s in slots)
        {
            Require("AdamW", s.Master, DType.F32, "the master weight");
            if (s.Copy is not null) RequireBf16("AdamW", s.Copy);
            if (s.Format == MomentFormat.Blockwise8Bit && (s.MScale is null || s.VScale is null || s.MScale.Numel != MomentCodec.Blocks(s.Master.Numel)))
                throw new MantisException("AdamW: 8-bit moments need one F32 absmax per block of 256 values");
        }
        foreach (var group in slots.GroupBy(s => (s.Format, s.Grad.DType)))
            AdamWLaunch(group.ToList(), step, group.Key.Format, group.Key.DType);
    }

    private void AdamWLaunch(IReadOnlyList<AdamWSlot> items, AdamWStep step, MomentFormat format, DType gradType)
    {
        string grad = gradType == DType.F32 ? "f32_grad" : "bf16_grad";
        var tables = Tables($"adamw/{format}/{gradType}").Begin()
            .Sizes(items.Select(w => w.Master)).Pointers(items.Select(w => w.Master)).Pointers(items.Select(w => w.Copy))
            .Pointers(items.Select(w => w.Grad)).Pointers(items.Select(w => w.M)).Pointers(items.Select(w => w.V));
        if (format == MomentFormat.Bf16) tables.Column(items.Select(w => w.Stream).ToArray());
        if (format == MomentFormat.Blockwise8Bit) tables.Pointers(items.Select(w => w.MScale)).Pointers(items.Select(w => w.VScale));
        var t = tables.Commit();
        var args = new KernelArgs();
        foreach (var column in t) args.Ptr(column);
        long longest = items.Max(w => w.Master.Numel);
        int mps = _be.Context.Device.MultiprocessorCount;
        if (format == MomentFormat.Fp32)
        {
            float bc1 = (float)(1 - Math.Pow(step.Beta1, step.Step)), bc2 = (float)(1 - Math.Pow(step.Beta2, step.Step));
            uint blocks = LaunchGeometry.GridStrideBlocks(longest, LaunchGeometry.DefaultBlock, mps);
            _be.Launch("adamw", "adamw_multi_tensor_" + grad, new Dim3(blocks, (uint)items.Count), args
                .Float((float)step.Lr).Float((float)step.Beta1).Float((float)step.Beta2).Float((float)step.Eps).Float((float)step.WeightDecay)
                .Float(bc1).Float(bc2).Float(step.GradScale));
            return;
        }
        if (format == MomentFormat.Bf16)
        {
            uint blocks = LaunchGeometry.GridStrideBlocks(longest, LaunchGeometry.DefaultBlock, mps);
            _be.Launch("adamw", "adamw_bf16_states_" + grad, new Dim3(blocks, (uint)items.Count), CompressedScalars(args, step));
            return;
        }
        _momentMaps ??= StagedConstant(MomentCodec.Signed.Concat(MomentCodec.Unsigned).ToArray());
        // one 256-thread block per absmax block, capped: a block walks several with a stride
        uint qblocks = (uint)Math.Min(MomentCodec.Blocks(longest), 32L * mps);
        _be.Launch("adamw", "adamw_8bit_states_" + grad, new Dim3(qblocks, (uint)items.Count),
            CompressedScalars(args.Ptr(_momentMaps), step), threads: MomentCodec.BlockSize);
    }

    /// <summary>bf16 or 8-bit moments: the scalars cast from double exactly as the CPU primitive casts them.</summary>
    private static KernelArgs CompressedScalars(KernelArgs a, AdamWStep step)
    {
        double bc1 = 1 - Math.Pow(step.Beta1, step.Step), bc2 = 1 - Math.Pow(step.Beta2, step.Step);
        return a
            .Float((float)(step.Lr / bc1)).Float((float)Math.Sqrt(bc2)).Float((float)step.Beta1).Float((float)step.Beta2)
            .Float((float)(1 - step.Beta1)).Float((float)(1 - step.Beta2)).Float((float)step.Eps).Float((float)(1 - step.Lr * step.WeightDecay))
            .Int(step.WeightDecay != 0 ? 1 : 0).Float(step.GradScale).Add(step.Seed).Int(step.Step);
    }
}
