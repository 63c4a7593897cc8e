using MantisNative.Tensors;

using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

// kernels/tensor_ops.cu: permute, block copies, accumulation in every dtype mix, fp32 scale, sums, SiLU; each on the
// inputs and CPU reference of the op it implements (OpCases), outputs poisoned first.
internal sealed partial class KernelChecks
{
    private void TensorOpsMoveAndReduce()
    {
        // permute [2, 3, 4, 5] -> dims (0, 2, 1, 3), as attention's layout change does
        int[] dims = { 2, 3, 4, 5 }, perm = { 0, 2, 1, 3 };
        var pc = OpCases.Permute(dims, perm);
        var (px, pr) = Reference(pc);
        using var xd = Bf16(px[0]);
        using var yd = PoisonedBf16(px[0].Length);
        var (pd, ps) = PermuteGeometry.For(dims, perm);
        var args = new KernelArgs().Ptr(xd).Ptr(yd).Long(px[0].Length);
        foreach (var d in pd) args.Int(d);
        foreach (var s in ps) args.Long(s);
        Launch("tensor_ops", "permute_2b", Blocks(px[0].Length), 256, 0, args);
        Record("permute_2b", ReadBf16(yd, px[0].Length), pr.Output, pc.ForwardTolerance);

        // slice: [outer 3, 10, inner 4] -> columns [2, 7) into a [3, 5, 4] tensor (f32 words)
        var sc = OpCases.Slice(new[] { 3, 10, 4 }, 1, 2, 5);
        var (sx, sr) = Reference(sc);
        using var sd = F32(sx[0]);
        using var dd = PoisonedF32(3 * 5 * 4);
        Launch("tensor_ops", "copy_blocks_4b", Blocks(60), 256, 0,
            new KernelArgs().Ptr(sd).Int(10).Int(2).Ptr(dd).Int(5).Int(0).Int(5).Long(3).Long(4));
        Record("copy_blocks_4b (slice)", ReadF32(dd, 60), sr.Output, sc.ForwardTolerance);

        // accumulation (y += x, the op Add in place): f32 += f32 (exact: the same fp32 add), bf16 += bf16, bf16 += f32
        int n = 3000;
        var ac = OpCases.Add(1, n);
        var (ax, ar) = Reference(ac);
        using var af = F32(ax[0]);
        using var bf = F32(ax[1]);
        Launch("tensor_ops", "accumulate_f32_into_f32", Blocks(n), 256, 0, new KernelArgs().Ptr(bf).Ptr(af).Long(n));
        Record("accumulate_f32_into_f32", ReadF32(af, n), ar.Output, Tolerances.Exact);
        using var ab = Bf16(ax[0]);
        using var bb = Bf16(ax[1]);
        Launch("tensor_ops", "accumulate_bf16_into_bf16", Blocks(n), 256, 0, new KernelArgs().Ptr(bb).Ptr(ab).Long(n));
        Record("accumulate_bf16_into_bf16", ReadBf16(ab, n), ar.Output, ac.ForwardTolerance);
        using var ab2 = Bf16(ax[0]);
        Launch("tensor_ops", "accumulate_f32_into_bf16", Blocks(n), 256, 0, new KernelArgs().Ptr(bf).Ptr(ab2).Long(n));
        Record("accumulate_f32_into_bf16", ReadBf16(ab2, n), ar.Output, ac.ForwardTolerance);

        // sum into one fp32 value with the kernel's scale 0.5 (exact in binary), then that value broadcast back x2
        var uc = OpCases.Sum(1, n);
        var (ux, ur) = Reference(uc);
        using var posd = Bf16(ux[0]);
        using var sum = PoisonedF32(1);
        Launch("tensor_ops", "sum_bf16_to_f32", 1, 1024, 0, new KernelArgs().Ptr(posd).Long(n).Float(0.5f).Ptr(sum));
        Record("sum_bf16_to_f32", ReadF32(sum, 1), new[] { 0.5f * ur.Output[0] }, uc.ForwardTolerance);
        using var bc = PoisonedBf16(n);
        Launch("tensor_ops", "broadcast_scalar_f32_to_bf16", Blocks(n), 256, 0, new KernelArgs().Ptr(sum).Ptr(bc).Float(2f).Long(n));
        Record("broadcast_scalar_f32_to_bf16", ReadBf16(bc, n), Enumerable.Repeat(ur.Output[0], n).ToArray(), Tolerances.Rounded);

        // fp32 scale (the same single fp32 multiply as the CPU: exact)
        var mc = OpCases.Scale(1, n, -3f);
        var (mx, mr) = Reference(mc);
        using var md = F32(mx[0]);
        using var scd = PoisonedF32(n);
        Launch("tensor_ops", "scale_f32", Blocks(n), 256, 0, new KernelArgs().Ptr(md).Ptr(scd).Float(-3f).Long(n));
        Record("scale_f32", ReadF32(scd, n), mr.Output, Tolerances.Exact);

        // SiLU forward and backward
        var lc = OpCases.Silu(1, n);
        var (lx, lr) = Reference(lc);
        using var sxd = Bf16(lx[0]);
        using var gyd = Bf16(lr.Seed!);
        using var sy = PoisonedBf16(n);
        using var sg = PoisonedBf16(n);
        Launch("tensor_ops", "silu_forward", Blocks(n), 256, 0, new KernelArgs().Ptr(sxd).Ptr(sy).Long(n));
        Record("silu_forward", ReadBf16(sy, n), lr.Output, lc.ForwardTolerance);
        Launch("tensor_ops", "silu_backward", Blocks(n), 256, 0, new KernelArgs().Ptr(gyd).Ptr(sxd).Ptr(sg).Long(n));
        Record("silu_backward", ReadBf16(sg, n), lr.Grads[0]!, lc.BackwardTolerance);
    }
}
