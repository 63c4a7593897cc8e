namespace MantisNative.Nn;

/// <summary>What a weight is, which decides how a fresh (untrained) model initialises it.</summary>
public enum WeightRole { Matrix, Bias, NormWeight, NormBias, Embedding, PositionEmbedding, Vector }

/// <summary>Which part of the multimodal model a parameter belongs to (what `--train` switches on).</summary>
public enum ModelPart { Vision, Projector, Language }
