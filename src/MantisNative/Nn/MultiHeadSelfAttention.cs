using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Nn;

/// <summary>Splits and merges attention heads between [B, T, H*D] and [B, H, T, D].</summary>
public static class Heads
{
    public static Tensor Split(Tensor x, int heads)
    {
        int b = x.Dim(0), t = x.Dim(1), d = x.Dim(2) / heads;
        return Ops.Permute(Ops.Reshape(x, b, t, heads, d), 0, 2, 1, 3);
    }

    public static Tensor Merge(Tensor x)
    {
        int b = x.Dim(0), h = x.Dim(1), t = x.Dim(2), d = x.Dim(3);
        return Ops.Reshape(Ops.Permute(x, 0, 2, 1, 3), b, t, h * d);
    }
}
