namespace MantisNative.Backends;

/// <summary>The GELU variants Hugging Face configs name.</summary>
public enum GeluKind
{
    /// <summary>"gelu": exact, 0.5 x (1 + erf(x / sqrt 2)).</summary>
    Erf,
    /// <summary>"gelu_pytorch_tanh", "gelu_new", "gelu_fast": the tanh approximation.</summary>
    Tanh,
    /// <summary>"quick_gelu": x * sigmoid(1.702 x) (CLIP).</summary>
    Quick,
}
