using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Nn;

/// <summary>Llama RMSNorm: `{prefix}.weight`.</summary>
public sealed class RmsNormLayer
{
    public Tensor Weight { get; }
    public float Eps { get; }

    public RmsNormLayer(ParameterStore ps, string prefix, int dim, double eps)
    {
        Weight = ps.Take(prefix + ".weight", WeightRole.NormWeight, dim);
        Eps = (float)eps;
    }

    public Tensor Forward(Tensor x) => Ops.RmsNorm(x, Weight, Eps);
}

/// <summary>LayerNorm with bias: `{prefix}.weight`, `{prefix}.bias`.</summary>
public sealed class LayerNormLayer
{
    public Tensor Weight { get; }
    public Tensor Bias { get; }
    public float Eps { get; }

    public LayerNormLayer(ParameterStore ps, string prefix, int dim, double eps)
    {
        Weight = ps.Take(prefix + ".weight", WeightRole.NormWeight, dim);
        Bias = ps.Take(prefix + ".bias", WeightRole.NormBias, dim);
        Eps = (float)eps;
    }

    public Tensor Forward(Tensor x) => Ops.LayerNorm(x, Weight, Bias, Eps);
}
