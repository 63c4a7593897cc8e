using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// RMSNorm and LayerNorm (kernels/rmsnorm.cu, kernels/layernorm.cu): per-row statistics saved in fp32 for the
// backward; weight and bias gradients are fp32 sums (each block adds its partial with atomics).
public static partial class CudaOps
{
    public static Tensor RmsNorm(Tensor x, Tensor weight, float eps, int rows, int dim)
    {
        RequireBf16("RmsNorm", x, weight);
        var be = Be(x);
        int sms = be.Context.Device.MultiprocessorCount, threads = LaunchGeometry.RowThreads(dim);
        var y = Bf16Like(x);
        var rstd = EmptyF32(x, new Shape(rows));
        if (rows > 0)
            be.Launch("rmsnorm", "rmsnorm_forward", LaunchGeometry.RowBlocks(rows, sms),
                new KernelArgs().Ptr(P(x)).Ptr(P(weight)).Ptr(P(y)).Ptr(P(rstd)).Int(rows).Int(dim).Float(eps), threads);
        if (!Tape.Needs(x, weight)) { rstd.Dispose(); return y; }
        Record(y, g =>
        {
            using var gx = Bf16Like(x);
            using var gw = ZerosF32(weight);
            if (rows > 0)
                be.Launch("rmsnorm", "rmsnorm_backward", (uint)Math.Clamp(rows, 1, sms),
                    new KernelArgs().Ptr(P(g)).Ptr(P(x)).Ptr(P(weight)).Ptr(P(rstd)).Ptr(P(gx)).Ptr(P(gw)).Int(rows).Int(dim),
                    threads, (uint)(dim * sizeof(float)));
            if (x.RequiresGrad) x.AccumulateGrad(gx);
            if (weight.RequiresGrad) weight.AccumulateGrad(gw);
        });
        return y;
    }

    public static Tensor LayerNorm(Tensor x, Tensor weight, Tensor? bias, float eps, int rows, int dim)
    {
        RequireBf16("LayerNorm", x, weight, bias);
        var be = Be(x);
        int sms = be.Context.Device.MultiprocessorCount, threads = LaunchGeometry.RowThreads(dim);
        var y = Bf16Like(x);
        var mean = EmptyF32(x, new Shape(rows));
        var rstd = EmptyF32(x, new Shape(rows));
        if (rows > 0)
            be.Launch("layernorm", "layernorm_forward", LaunchGeometry.RowBlocks(rows, sms),
                new KernelArgs().Ptr(P(x)).Ptr(P(weight)).Ptr(P(bias)).Ptr(P(y)).Ptr(P(mean)).Ptr(P(rstd)).Int(rows).Int(dim).Float(eps), threads);
        if (!Tape.Needs(x, weight, bias)) { mean.Dispose(); rstd.Dispose(); return y; }
        Record(y, g =>
        {
            using var gx = Bf16Like(x);
            using var gw = ZerosF32(weight);
            using var gb = bias is null ? null : ZerosF32(bias);
            if (rows > 0)
                be.Launch("layernorm", "layernorm_backward", (uint)Math.Clamp(rows, 1, sms),
                    new KernelArgs().Ptr(P(g)).Ptr(P(x)).Ptr(P(weight)).Ptr(P(mean)).Ptr(P(rstd)).Ptr(P(gx)).Ptr(P(gw)).Ptr(P(gb)).Int(rows).Int(dim),
                    threads, (uint)(2 * dim * sizeof(float)));
            if (x.RequiresGrad) x.AccumulateGrad(gx);
            if (weight.RequiresGrad) weight.AccumulateGrad(gw);
            if (bias is not null && bias.RequiresGrad) bias.AccumulateGrad(gb!);
        });
        return y;
    }
}
