using MantisNative.Autograd;
using MantisNative.Interop;

using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

// RMSNorm, LayerNorm and rotary embedding: the kernels on their OpCases inputs against the CPU engine, outputs poisoned first.
internal sealed partial class KernelChecks
{
    private void RmsNormForwardAndBackward()
    {
        int rows = 17, dim = 1000;
        var c = OpCases.RmsNorm(rows, dim);
        var (x, r) = Reference(c);
        using var xd = Bf16(x[0]);
        using var wd = Bf16(x[1]);
        using var gyd = Bf16(r.Seed!);
        using var yd = PoisonedBf16(x[0].Length);
        using var rstd = PoisonedF32(rows);
        int threads = LaunchGeometry.RowThreads(dim);
        Launch("rmsnorm", "rmsnorm_forward", LaunchGeometry.RowBlocks(rows, _ctx.Device.MultiprocessorCount), threads, 0,
            new KernelArgs().Ptr(xd).Ptr(wd).Ptr(yd).Ptr(rstd).Int(rows).Int(dim).Float(OpCases.RmsNormEps));
        using var gxd = PoisonedBf16(x[0].Length);
        using var gwd = ZeroF32(dim);
        Launch("rmsnorm", "rmsnorm_backward", 4, threads, (uint)(dim * 4),
            new KernelArgs().Ptr(gyd).Ptr(xd).Ptr(wd).Ptr(rstd).Ptr(gxd).Ptr(gwd).Int(rows).Int(dim));
        Record("rmsnorm_forward", ReadBf16(yd, x[0].Length), r.Output, c.ForwardTolerance);
        Record("rmsnorm_backward dx", ReadBf16(gxd, x[0].Length), r.Grads[0]!, c.BackwardTolerance);
        Record("rmsnorm_backward dw", ReadF32(gwd, dim), r.Grads[1]!, Tolerances.Fp32NormWeightGrad);
    }

    private void LayerNormForwardAndBackward()
    {
        int rows = 11, dim = 768;
        var c = OpCases.LayerNorm(rows, dim);
        var (x, r) = Reference(c);
        using var xd = Bf16(x[0]);
        using var wd = Bf16(x[1]);
        using var bd = Bf16(x[2]);
        using var gyd = Bf16(r.Seed!);
        using var yd = PoisonedBf16(x[0].Length);
        using var mean = PoisonedF32(rows);
        using var rstd = PoisonedF32(rows);
        int threads = LaunchGeometry.RowThreads(dim);
        Launch("layernorm", "layernorm_forward", (uint)rows, threads, 0,
            new KernelArgs().Ptr(xd).Ptr(wd).Ptr(bd).Ptr(yd).Ptr(mean).Ptr(rstd).Int(rows).Int(dim).Float(OpCases.LayerNormEps));
        using var gxd = PoisonedBf16(x[0].Length);
        using var gwd = ZeroF32(dim);
        using var gbd = ZeroF32(dim);
        Launch("layernorm", "layernorm_backward", 3, threads, (uint)(2 * dim * 4),
            new KernelArgs().Ptr(gyd).Ptr(xd).Ptr(wd).Ptr(mean).Ptr(rstd).Ptr(gxd).Ptr(gwd).Ptr(gbd).Int(rows).Int(dim));
        Record("layernorm_forward", ReadBf16(yd, x[0].Length), r.Output, c.ForwardTolerance);
        Record("layernorm_backward dx", ReadBf16(gxd, x[0].Length), r.Grads[0]!, c.BackwardTolerance);
        Record("layernorm_backward dw", ReadF32(gwd, dim), r.Grads[1]!, Tolerances.Fp32NormWeightGrad);
        Record("layernorm_backward db", ReadF32(gbd, dim), r.Grads[2]!, Tolerances.Fp32Result);
    }

    private void RopeForwardAndBackward()
    {
        int batch = 2, seq = 7, heads = 3, hd = 64, maxPos = 32;
        const double theta = 500000.0;
        // two sequences at different offsets: the kernel reads each token's row of a position-indexed table
        var positions = Enumerable.Range(0, batch * seq).Select(i => (i % seq) + (i / seq) * 5).ToArray();
        var c = OpCases.Rope(positions, heads, hd, theta);
        var (x, r) = Reference(c);
        var (cos, sin) = RopeTables.Tables(RopeTables.InverseFrequencies(hd, theta), Enumerable.Range(0, maxPos).ToArray());
        using var xd = Bf16(x[0]);
        using var gyd = Bf16(r.Seed!);
        using var cd = F32(cos);
        using var sd = F32(sin);
        using var pd = I32(positions);
        using var yd = PoisonedBf16(x[0].Length);
        using var gxd = PoisonedBf16(x[0].Length);
        long pairs = (long)batch * seq * heads * (hd / 2);
        Launch("rope", "rope_forward", Blocks(pairs), 256, 0,
            new KernelArgs().Ptr(xd).Ptr(yd).Ptr(cd).Ptr(sd).Ptr(pd).Int(batch).Int(seq).Int(heads).Int(hd));
        Record("rope_forward", ReadBf16(yd, x[0].Length), r.Output, c.ForwardTolerance);
        Launch("rope", "rope_backward", Blocks(pairs), 256, 0,
            new KernelArgs().Ptr(gyd).Ptr(gxd).Ptr(cd).Ptr(sd).Ptr(pd).Int(batch).Int(seq).Int(heads).Int(hd));
        Record("rope_backward", ReadBf16(gxd, x[0].Length), r.Grads[0]!, c.BackwardTolerance);
    }
}
