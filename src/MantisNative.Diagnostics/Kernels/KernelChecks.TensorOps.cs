using MantisNative.Tensors;

using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

// kernels/tensor_ops.cu: permute, block copies, accumulation in every dtype mix, fp32 scale, sums, SiLU.
internal sealed partial class KernelChecks
{
    private void TensorOpsMoveAndReduce()
    {
        // permute [2, 3, 4, 5] -> dims (0, 2, 1, 3), as attention's layout change does
        int[] dims = { 2, 3, 4, 5 }, perm = { 0, 2, 1, 3 };
        var x = RoundBf16(Rand(120));
        using var xd = Bf16(x);
        using var yd = PoisonedBf16(x.Length);
        var (pd, ps) = PermuteGeometry.For(dims, perm);
        var args = new KernelArgs().Ptr(xd).Ptr(yd).Long(x.Length);
        foreach (var d in pd) args.Int(d);
        foreach (var s in ps) args.Long(s);
        Launch("tensor_ops", "permute_2b", Blocks(x.Length), 256, 0, args);
        var want = new double[x.Length];
        for (long o = 0; o < want.Length; o++) want[o] = x[PermuteGeometry.SourceIndex(o, pd, ps)];
        Record("permute_2b", ReadBf16(yd, x.Length), want, 1e-7);

        // slice: [outer 3, 10, inner 4] -> columns [2, 7) into a [3, 5, 4] tensor (f32 words)
        var src = Rand(3 * 10 * 4);
        using var sd = F32(src);
        using var dd = PoisonedF32(3 * 5 * 4);
        Launch("tensor_ops", "copy_blocks_4b", Blocks(60), 256, 0,
            new KernelArgs().Ptr(sd).Int(10).Int(2).Ptr(dd).Int(5).Int(0).Int(5).Long(3).Long(4));
        var sliced = new double[60];
        for (int o = 0; o < 3; o++)
            for (int c = 0; c < 5; c++)
                for (int i = 0; i < 4; i++) sliced[(o * 5 + c) * 4 + i] = src[(o * 10 + 2 + c) * 4 + i];
        Record("copy_blocks_4b (slice)", ReadF32(dd, 60), sliced, 1e-7);

        // accumulation: f32 += f32, bf16 += bf16, bf16 += f32
        int n = 3000;
        var a = RoundBf16(Rand(n));
        var b = RoundBf16(Rand(n));
        using var af = F32(a);
        using var bf = F32(b);
        Launch("tensor_ops", "accumulate_f32_into_f32", Blocks(n), 256, 0, new KernelArgs().Ptr(bf).Ptr(af).Long(n));
        Record("accumulate_f32_into_f32", ReadF32(af, n), a.Select((v, i) => (double)v + b[i]).ToArray(), 1e-7);
        using var ab = Bf16(a);
        using var bb = Bf16(b);
        Launch("tensor_ops", "accumulate_bf16_into_bf16", Blocks(n), 256, 0, new KernelArgs().Ptr(bb).Ptr(ab).Long(n));
        Record("accumulate_bf16_into_bf16", ReadBf16(ab, n), a.Select((v, i) => (double)v + b[i]).ToArray(), 1e-2);
        using var ab2 = Bf16(a);
        Launch("tensor_ops", "accumulate_f32_into_bf16", Blocks(n), 256, 0, new KernelArgs().Ptr(bf).Ptr(ab2).Long(n));
        Record("accumulate_f32_into_bf16", ReadBf16(ab2, n), a.Select((v, i) => (double)v + b[i]).ToArray(), 1e-2);

        // sums into one fp32 value (offset values: no cancellation), scale_f32, scalar broadcast
        var pos = RoundBf16(Rand(n).Select(v => v + 2f).ToArray());
        using var posd = Bf16(pos);
        using var sum = PoisonedF32(1);
        Launch("tensor_ops", "sum_bf16_to_f32", 1, 1024, 0, new KernelArgs().Ptr(posd).Long(n).Float(0.5f).Ptr(sum));
        Record("sum_bf16_to_f32", ReadF32(sum, 1), new[] { 0.5 * pos.Sum(v => (double)v) }, 1e-5);
        using var sc = PoisonedF32(n);
        Launch("tensor_ops", "scale_f32", Blocks(n), 256, 0, new KernelArgs().Ptr(bf).Ptr(sc).Float(-3f).Long(n));
        Record("scale_f32", ReadF32(sc, n), b.Select(v => -3.0 * v).ToArray(), 1e-7);
        using var bc = PoisonedBf16(n);
        Launch("tensor_ops", "broadcast_scalar_f32_to_bf16", Blocks(n), 256, 0, new KernelArgs().Ptr(sum).Ptr(bc).Float(2f).Long(n));
        Record("broadcast_scalar_f32_to_bf16", ReadBf16(bc, n), Enumerable.Repeat(pos.Sum(v => (double)v), n).ToArray(), 1e-2);

        // SiLU forward and backward
        var sx = RoundBf16(Rand(n, 4f));
        var gy = RoundBf16(Rand(n));
        using var sxd = Bf16(sx);
        using var gyd = Bf16(gy);
        using var sy = PoisonedBf16(n);
        using var sg = PoisonedBf16(n);
        double Sig(double v) => 1 / (1 + Math.Exp(-v));
        Launch("tensor_ops", "silu_forward", Blocks(n), 256, 0, new KernelArgs().Ptr(sxd).Ptr(sy).Long(n));
        Record("silu_forward", ReadBf16(sy, n), sx.Select(v => v * Sig(v)).ToArray(), 1e-2);
        Launch("tensor_ops", "silu_backward", Blocks(n), 256, 0, new KernelArgs().Ptr(gyd).Ptr(sxd).Ptr(sg).Long(n));
        Record("silu_backward", ReadBf16(sg, n), sx.Select((v, i) => gy[i] * Sig(v) * (1 + v * (1 - Sig(v)))).ToArray(), 1e-2);
    }
}
