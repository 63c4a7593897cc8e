namespace MantisNative.Autograd;

/// <summary>The activation functions our modules implement.</summary>
public enum Activation
{
    /// <summary>Exact GELU, x * Phi(x) with erf (transformers "gelu").</summary>
    Gelu,
    /// <summary>GELU, tanh approximation ("gelu_pytorch_tanh", "gelu_new", "gelu_fast": the same function).</summary>
    GeluTanh,
    /// <summary>x * sigmoid(1.702 x) ("quick_gelu", CLIP).</summary>
    QuickGelu,
    /// <summary>x * sigmoid(x) ("silu", "swish", Llama).</summary>
    Silu,
}
