using MantisNative.Tensors;

namespace MantisNative.Nn;

/// <summary>Hands modules their weights by Hugging Face name: from a checkpoint or freshly initialised.</summary>
public interface IWeightProvider
{
    /// <summary>An F32 tensor of exactly <paramref name="shape"/> named <paramref name="name"/>.</summary>
    Tensor Get(string name, int[] shape, WeightRole role);
}
