
using MantisNative.Tensors;

namespace MantisNative.Nn;

/// <summary>
/// A weight provider that can hand out matrices frozen in their own format (16-bit in place, int8, NF4) instead of
/// fp32 tensors: the inference loader's way to keep an 8B model at its file size. Returning null means "take it
/// as an ordinary fp32 parameter" (trainable weights, vectors, or a format that is kept dense).
/// </summary>
public interface IFrozenWeightProvider : IWeightProvider
{
    /// <summary>The matrix [rows, cols] named <paramref name="name"/> frozen, or null to load it through <see cref="IWeightProvider.Get"/>.</summary>
    FrozenMatrix? GetFrozen(string name, int rows, int cols, WeightRole role);

    /// <summary>About how many bytes one weight value will take (the memory check before a model is built).</summary>
    double PlannedBytesPerValue { get; }
}
