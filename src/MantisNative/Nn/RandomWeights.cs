using MantisNative.Tensors;

namespace MantisNative.Nn;

/// <summary>
/// Fresh weights from a seed: matrices normal with std = gain / sqrt(fan_in) (fan_in = all but the first
/// dimension), embeddings normal with <see cref="EmbeddingStd"/>, norm weights 1, biases and norm biases 0.
/// Each tensor's generator is seeded from the model seed and the tensor's name, so adding a tensor does
/// not change the others.
/// </summary>
public sealed class RandomWeights : IWeightProvider
{
    private readonly ulong _seed;
    public double Gain { get; init; } = 1.0;
    public double EmbeddingStd { get; init; } = 1.0;

    public RandomWeights(ulong seed) => _seed = seed;

    public Tensor Get(string name, int[] shape, WeightRole role)
    {
        var s = new Shape(shape);
        var rng = new Rng(_seed ^ StableHash(name));
        switch (role)
        {
            case WeightRole.NormWeight: return Tensor.Full(s, 1f);
            case WeightRole.Bias:
            case WeightRole.NormBias: return Tensor.Zeros(s);
            case WeightRole.Embedding: return Tensor.Randn(s, rng, (float)EmbeddingStd);
            // learned positions as SigLIP initialises them (std 1/sqrt(width)): at 0.02 they are lost beside the
            // patch features, and the tower cannot tell where an object is
            case WeightRole.PositionEmbedding: return Tensor.Randn(s, rng, (float)(1 / Math.Sqrt(shape[^1])));
            case WeightRole.Vector: return Tensor.Randn(s, rng, 0.02f);
            default:
                long fanIn = s.Numel / Math.Max(1, shape[0]);
                return Tensor.Randn(s, rng, (float)(Gain / Math.Sqrt(fanIn)));
        }
    }

    /// <summary>FNV-1a over the UTF-16 name: stable across runs and .NET versions (string.GetHashCode is not).</summary>
    private static ulong StableHash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) { h ^= c; h *= 1099511628211UL; }
        return h;
    }
}
