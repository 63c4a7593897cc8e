using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// RMSNorm and LayerNorm (kernels/rmsnorm.cu, kernels/layernorm.cu): per-row statistics saved in fp32 for the
// backward; weight and bias gradients are fp32 sums, deterministic: each block writes its partial row, and
// sum_partials_f32 (kernels/weight_grad.cu) adds the rows in block order (no float atomics; the same bits every run
// on a given card, whose multiprocessor count sets the number of blocks).
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
        {
            int parts = Math.Clamp(rows, 1, sms);
            using var gwParts = EmptyF32(x, new Shape(parts, dim));
            _be.Launch("rmsnorm", "rmsnorm_backward", (uint)parts,
                new KernelArgs().Ptr(P(g)).Ptr(P(x)).Ptr(P(weight)).Ptr(P(rstd)).Ptr(P(gx)).Ptr(P(gwParts)).Int(rows).Int(dim),
                threads, (uint)(dim * sizeof(float)));
            SumPartials(gwParts, gw);
        }
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
        {
            int parts = Math.Clamp(rows, 1, sms);
            using var gwParts = EmptyF32(x, new Shape(parts, dim));
            using var gbParts = gb is null ? null : EmptyF32(x, new Shape(parts, dim));
            _be.Launch("layernorm", "layernorm_backward", (uint)parts,
                new KernelArgs().Ptr(P(g)).Ptr(P(x)).Ptr(P(weight)).Ptr(P(mean)).Ptr(P(rstd)).Ptr(P(gx)).Ptr(P(gwParts)).Ptr(P(gbParts)).Int(rows).Int(dim),
                threads, (uint)(2 * dim * sizeof(float)));
            SumPartials(gwParts, gw);
            if (gb is not null) SumPartials(gbParts!, gb);
        }
        return (Keep(needX, gx), Keep(needWeight, gw), gb is null ? null : Keep(needBias, gb));
    }

    /// <summary>destination [n] += the rows of partials [parts, n], summed in row order (kernels/weight_grad.cu).</summary>
    private void SumPartials(Tensor partials, Tensor destination)
    {
        long n = destination.Numel;
        if (n > 0)
            _be.Launch("weight_grad", "sum_partials_f32", _be.Blocks(n),
                new KernelArgs().Ptr(P(partials)).Int(partials.Dim(0)).Long(n).Ptr(P(destination)));
    }

    private static Tensor? Keep(bool need, Tensor t)
    {
        if (need) return t;
        t.Dispose();
        return null;
    }
}
