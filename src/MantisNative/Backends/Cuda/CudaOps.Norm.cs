using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// RMSNorm and LayerNorm (kernels/rmsnorm.cu, kernels/layernorm.cu): per-row statistics saved in fp32 for the
// backward; weight and bias gradients are fp32 sums (each block adds its partial with atomics).
internal sealed partial class CudaOps
{
    private (int Sms, int Threads, int Rows, int Dim) RowGeometry(Tensor x)
    {
        int dim = x.Dim(-1), rows = checked((int)(x.Numel / dim));
        return (_be.Context.Device.MultiprocessorCount, LaunchGeometry.RowThreads(dim), rows, dim);
    }

    public (Tensor Y, Tensor Rstd) RmsNormForward(Tensor x, Tensor weight, float eps)
    {
        RequireBf16("RmsNorm", x, weight);
        var (sms, threads, rows, dim) = RowGeometry(x);
        var y = Bf16Like(x);
        var rstd = EmptyF32(x, new Shape(rows));
        if (rows > 0)
            _be.Launch("rmsnorm", "rmsnorm_forward", LaunchGeometry.RowBlocks(rows, sms),
                new KernelArgs().Ptr(P(x)).Ptr(P(weight)).Ptr(P(y)).Ptr(P(rstd)).Int(rows).Int(dim).Float(eps), threads);
        return (y, rstd);
    }

    /// <summary>One kernel writes both gradients; the one not asked for is freed at once.</summary>
    public (Tensor? X, Tensor? Weight) RmsNormBackward(Tensor g, Tensor x, Tensor weight, Tensor rstd, bool needX, bool needWeight)
    {
        RequireBf16("RmsNorm backward", g, x, weight);
        var (sms, threads, rows, dim) = RowGeometry(x);
        var gx = Bf16Like(x);
        var gw = ZerosF32(weight);
        if (rows > 0)
            _be.Launch("rmsnorm", "rmsnorm_backward", (uint)Math.Clamp(rows, 1, sms),
                new KernelArgs().Ptr(P(g)).Ptr(P(x)).Ptr(P(weight)).Ptr(P(rstd)).Ptr(P(gx)).Ptr(P(gw)).Int(rows).Int(dim),
                threads, (uint)(dim * sizeof(float)));
        return (Keep(needX, gx), Keep(needWeight, gw));
    }

    public (Tensor Y, Tensor Mean, Tensor Rstd) LayerNormForward(Tensor x, Tensor weight, Tensor? bias, float eps)
    {
        RequireBf16("LayerNorm", x, weight, bias);
        var (sms, threads, rows, dim) = RowGeometry(x);
        var y = Bf16Like(x);
        var mean = EmptyF32(x, new Shape(rows));
        var rstd = EmptyF32(x, new Shape(rows));
        if (rows > 0)
            _be.Launch("layernorm", "layernorm_forward", LaunchGeometry.RowBlocks(rows, sms),
                new KernelArgs().Ptr(P(x)).Ptr(P(weight)).Ptr(P(bias)).Ptr(P(y)).Ptr(P(mean)).Ptr(P(rstd)).Int(rows).Int(dim).Float(eps), threads);
        return (y, mean, rstd);
    }

    public (Tensor? X, Tensor? Weight, Tensor? Bias) LayerNormBackward(Tensor g, Tensor x, Tensor weight, Tensor? bias, Tensor mean, Tensor rstd,
        bool needX, bool needWeight, bool needBias)
    {
        RequireBf16("LayerNorm backward", g, x, weight, bias);
        var (sms, threads, rows, dim) = RowGeometry(x);
        var gx = Bf16Like(x);
        var gw = ZerosF32(weight);
        var gb = bias is null ? null : ZerosF32(bias);
        if (rows > 0)
            _be.Launch("layernorm", "layernorm_backward", (uint)Math.Clamp(rows, 1, sms),
                new KernelArgs().Ptr(P(g)).Ptr(P(x)).Ptr(P(weight)).Ptr(P(mean)).Ptr(P(rstd)).Ptr(P(gx)).Ptr(P(gw)).Ptr(P(gb)).Int(rows).Int(dim),
                threads, (uint)(2 * dim * sizeof(float)));
        return (Keep(needX, gx), Keep(needWeight, gw), gb is null ? null : Keep(needBias, gb));
    }

    private static Tensor? Keep(bool need, Tensor t)
    {
        if (need) return t;
        t.Dispose();
        return null;
    }
}
