using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu;

internal sealed unsafe partial class CpuOps
{
    private static int Rows(Tensor x) => checked((int)(x.Numel / x.Dim(-1)));

    public (Tensor Y, Tensor Rstd) RmsNormForward(Tensor x, Tensor weight, float eps)
    {
        int dim = x.Dim(-1), rows = Rows(x);
        var y = Tensor.Empty(x.Shape);
        var rstd = Tensor.Empty(new Shape(rows));
        RmsNorm.Forward(x.Data, weight.Data, y.Data, rstd.Data, rows, dim, eps);
        return (y, rstd);
    }

    public (Tensor? X, Tensor? Weight) RmsNormBackward(Tensor g, Tensor x, Tensor weight, Tensor rstd, bool needX, bool needWeight)
    {
        var gx = ZerosIf(needX, x.Shape);
        var gw = ZerosIf(needWeight, weight.Shape);
        RmsNorm.Backward(x.Data, weight.Data, rstd.Data, g.Data, Ptr(gx), Ptr(gw), Rows(x), x.Dim(-1));
        return (gx, gw);
    }

    public (Tensor Y, Tensor Mean, Tensor Rstd) LayerNormForward(Tensor x, Tensor weight, Tensor? bias, float eps)
    {
        int dim = x.Dim(-1), rows = Rows(x);
        var y = Tensor.Empty(x.Shape);
        var mean = Tensor.Empty(new Shape(rows));
        var rstd = Tensor.Empty(new Shape(rows));
        LayerNorm.Forward(x.Data, weight.Data, Ptr(bias), y.Data, mean.Data, rstd.Data, rows, dim, eps);
        return (y, mean, rstd);
    }

    public (Tensor? X, Tensor? Weight, Tensor? Bias) LayerNormBackward(Tensor g, Tensor x, Tensor weight, Tensor? bias, Tensor mean, Tensor rstd,
        bool needX, bool needWeight, bool needBias)
    {
        var gx = ZerosIf(needX, x.Shape);
        var gw = ZerosIf(needWeight, weight.Shape);
        var gb = bias is null ? null : ZerosIf(needBias, bias.Shape);
        LayerNorm.Backward(x.Data, weight.Data, mean.Data, rstd.Data, g.Data, Ptr(gx), Ptr(gw), Ptr(gb), Rows(x), x.Dim(-1));
        return (gx, gw, gb);
    }
}
