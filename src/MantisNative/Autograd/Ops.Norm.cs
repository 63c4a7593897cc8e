using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static partial class Ops
{
    /// <summary>Llama RMSNorm over the last dimension.</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, float eps)
    {
        int dim = x.Dim(-1);
        if (weight.Numel != dim) throw new ArgumentException($"RmsNorm: weight {weight.Shape} does not match last dimension of {x.Shape}");
        var be = On("RmsNorm", x, weight);
        var (y, rstd) = be.RmsNormForward(x, weight, eps);
        if (!Tape.Needs(x, weight)) { rstd.Dispose(); return y; }
        Tape.Record(y, g =>
        {
            var (gx, gw) = be.RmsNormBackward(g, x, weight, rstd, x.RequiresGrad, weight.RequiresGrad);
            Accumulate(x, gx);
            Accumulate(weight, gw);
            rstd.Dispose();
        });
        return y;
    }

    /// <summary>LayerNorm over the last dimension (bias optional).</summary>
    public static Tensor LayerNorm(Tensor x, Tensor weight, Tensor? bias, float eps)
    {
        int dim = x.Dim(-1);
        if (weight.Numel != dim) throw new ArgumentException($"LayerNorm: weight {weight.Shape} does not match last dimension of {x.Shape}");
        var be = On("LayerNorm", x, weight, bias);
        var (y, mean, rstd) = be.LayerNormForward(x, weight, bias, eps);
        if (!Tape.Needs(x, weight, bias)) { mean.Dispose(); rstd.Dispose(); return y; }
        Tape.Record(y, g =>
        {
            var (gx, gw, gb) = be.LayerNormBackward(g, x, weight, bias, mean, rstd,
                x.RequiresGrad, weight.RequiresGrad, bias?.RequiresGrad ?? false);
            Accumulate(x, gx);
            Accumulate(weight, gw);
            if (bias is not null) Accumulate(bias, gb);
            mean.Dispose();
            rstd.Dispose();
        });
        return y;
    }
}
