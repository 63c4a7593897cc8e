namespace MantisNative.Autograd;

/// <summary>How <see cref="Ops.Attention(Tensors.Tensor, Tensors.Tensor, Tensors.Tensor, bool, Tensors.Tensor?, float?, AttentionLayout)"/> reads its tensors.</summary>
public enum AttentionLayout
{
    /// <summary>q [B, Hq, T, D], k and v [B, Hkv, S, D]: one head's tokens contiguous.</summary>
    HeadMajor,

    /// <summary>q [B, T, Hq, D], k and v [B, S, Hkv, D]: the projections' output reshaped, no permute copy either way.</summary>
    TokenMajor,
}
