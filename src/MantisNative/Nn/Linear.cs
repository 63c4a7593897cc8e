using MantisNative.Autograd;
using MantisNative.Nn.Lora;
using MantisNative.Tensors;

namespace MantisNative.Nn;

/// <summary>PyTorch Linear: weight [out, in] under `{prefix}.weight`, optional `{prefix}.bias`; optionally a LoRA / DoRA adapter on top.</summary>
public sealed class Linear
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    /// <summary>The module path (the weight's name without ".weight").</summary>
    public string Path { get; }
    /// <summary>A LoRA / DoRA adapter applied on top of the (then frozen) weight, or null.</summary>
    public LoraLayer? Adapter { get; set; }

    public Linear(ParameterStore ps, string prefix, int inFeatures, int outFeatures, bool bias)
    {
        Path = prefix;
        Weight = ps.Take(prefix + ".weight", WeightRole.Matrix, outFeatures, inFeatures);
        Bias = bias ? ps.Take(prefix + ".bias", WeightRole.Bias, outFeatures) : null;
        ps.AddLinear(this);
    }

    public Tensor Forward(Tensor x) => Adapter is null ? Ops.Linear(x, Weight, Bias) : Adapter.Forward(x, Weight, Bias);
}
