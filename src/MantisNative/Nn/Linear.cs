using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Nn;

/// <summary>
/// PyTorch Linear: weight [out, in] under `{prefix}.weight`, optional `{prefix}.bias`. The weight is either an fp32
/// parameter (<see cref="Weight"/>, trainable) or frozen in its own format (<see cref="Frozen"/>: bf16 / f16 in
/// place, int8, NF4), as the weight provider decides; <see cref="Forward"/> runs either.
/// </summary>
public sealed class Linear
{
    private readonly Tensor? _weight;

    public Linear(ParameterStore ps, string prefix, int inFeatures, int outFeatures, bool bias)
    {
        (_weight, Frozen) = ps.TakeMatrix(prefix + ".weight", WeightRole.Matrix, outFeatures, inFeatures);
        Bias = bias ? ps.Take(prefix + ".bias", WeightRole.Bias, outFeatures) : null;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }

    /// <summary>The fp32 weight; a frozen Linear has none (see <see cref="Frozen"/>).</summary>
    public Tensor Weight => _weight ?? throw new InvalidOperationException($"{Frozen} is frozen in its own format; it has no fp32 weight tensor (use Frozen, or Frozen.ToF32())");

    /// <summary>The weight frozen in its own format, or null for an fp32 parameter.</summary>
    public FrozenMatrix? Frozen { get; }

    public bool IsFrozen => Frozen is not null;

    public Tensor? Bias { get; }

    public Tensor Forward(Tensor x) => Frozen is { } f ? Ops.FrozenLinear(x, f, Bias) : Ops.Linear(x, _weight!, Bias);
}
