namespace MantisNative.Nn;

/// <summary>What a weight is, which decides how a fresh (untrained) model initialises it.</summary>
public enum WeightRole { Matrix, Bias, NormWeight, NormBias, Embedding, PositionEmbedding, Vector }
