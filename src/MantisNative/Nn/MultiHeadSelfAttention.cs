using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Nn;

/// <summary>
/// Views [B, T, H*D] as the token-major [B, T, H, D] that attention reads and joins its output back: reshapes, no
/// copy (the head-major [B, H, T, D] would cost a permute copy each way, forward and backward).
/// </summary>
public static class Heads
{
    public static Tensor View(Tensor x, int heads)
    {
        int b = x.Dim(0), t = x.Dim(1), d = x.Dim(2) / heads;
        return Ops.Reshape(x, b, t, heads, d);
    }

    public static Tensor Join(Tensor x) => Ops.Reshape(x, x.Dim(0), x.Dim(1), x.Dim(2) * x.Dim(3));
}
