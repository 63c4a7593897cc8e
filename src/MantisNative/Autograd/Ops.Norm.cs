using MantisNative.Backends.Cuda;
using MantisNative.Tensors;
using CpuLayerNorm = MantisNative.Backends.Cpu.LayerNorm;
using CpuRmsNorm = MantisNative.Backends.Cpu.RmsNorm;

namespace MantisNative.Autograd;

public static unsafe partial class Ops
{
    /// <summary>Llama RMSNorm over the last dimension.</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, float eps)
    {
        int dim = x.Dim(-1), rows = checked((int)(x.Numel / dim));
        if (weight.Numel != dim) throw new ArgumentException($"RmsNorm: weight {weight.Shape} does not match last dimension of {x.Shape}");
        if (OnDevice("RmsNorm", x, weight)) return CudaOps.RmsNorm(x, weight, eps, rows, dim);
        var y = Tensor.Empty(x.Shape);
        var rstd = new float[rows];
        fixed (float* pr = rstd) CpuRmsNorm.Forward(x.Data, weight.Data, y.Data, pr, rows, dim, eps);
        if (Tape.Needs(x, weight))
            Tape.Record(y, g =>
            {
                using var gx = x.RequiresGrad ? Tensor.Zeros(x.Shape) : null;
                using var gw = weight.RequiresGrad ? Tensor.Zeros(weight.Shape) : null;
                fixed (float* pr = rstd)
                    CpuRmsNorm.Backward(x.Data, weight.Data, pr, g.Data, gx is null ? null : gx.Data, gw is null ? null : gw.Data, rows, dim);
                if (gx is not null) x.AccumulateGrad(gx);
                if (gw is not null) weight.AccumulateGrad(gw);
            });
        return y;
    }

    /// <summary>LayerNorm over the last dimension (bias optional).</summary>
    public static Tensor LayerNorm(Tensor x, Tensor weight, Tensor? bias, float eps)
    {
        int dim = x.Dim(-1), rows = checked((int)(x.Numel / dim));
        if (weight.Numel != dim) throw new ArgumentException($"LayerNorm: weight {weight.Shape} does not match last dimension of {x.Shape}");
        if (OnDevice("LayerNorm", x, weight, bias)) return CudaOps.LayerNorm(x, weight, bias, eps, rows, dim);
        var y = Tensor.Empty(x.Shape);
        var mean = new float[rows];
        var rstd = new float[rows];
        fixed (float* pm = mean, pr = rstd)
            CpuLayerNorm.Forward(x.Data, weight.Data, bias is null ? null : bias.Data, y.Data, pm, pr, rows, dim, eps);
        if (Tape.Needs(x, weight, bias))
            Tape.Record(y, g =>
            {
                using var gx = x.RequiresGrad ? Tensor.Zeros(x.Shape) : null;
                using var gw = weight.RequiresGrad ? Tensor.Zeros(weight.Shape) : null;
                using var gb = bias is not null && bias.RequiresGrad ? Tensor.Zeros(bias.Shape) : null;
                fixed (float* pm = mean, pr = rstd)
                    CpuLayerNorm.Backward(x.Data, weight.Data, pm, pr, g.Data, gx is null ? null : gx.Data,
                        gw is null ? null : gw.Data, gb is null ? null : gb.Data, rows, dim);
                if (gx is not null) x.AccumulateGrad(gx);
                if (gw is not null) weight.AccumulateGrad(gw);
                if (gb is not null) bias!.AccumulateGrad(gb);
            });
        return y;
    }
}
