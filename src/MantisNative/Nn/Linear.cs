using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Nn;

/// <summary>PyTorch Linear: weight [out, in] under `{prefix}.weight`, optional `{prefix}.bias`.</summary>
public sealed class Linear
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Linear(ParameterStore ps, string prefix, int inFeatures, int outFeatures, bool bias)
    {
        Weight = ps.Take(prefix + ".weight", WeightRole.Matrix, outFeatures, inFeatures);
        Bias = bias ? ps.Take(prefix + ".bias", WeightRole.Bias, outFeatures) : null;
    }

    public Tensor Forward(Tensor x) => Ops.Linear(x, Weight, Bias);
}
