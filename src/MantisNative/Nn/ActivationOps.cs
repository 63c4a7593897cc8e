using MantisNative.Autograd;
using MantisNative.Backends.Cpu;
using MantisNative.Models.Config;
using MantisNative.Tensors;

namespace MantisNative.Nn;

/// <summary>Applies a config-named activation.</summary>
public static class ActivationOps
{
    public static Tensor Apply(Activation act, Tensor x) => act switch
    {
        Activation.Gelu => Ops.Gelu(x, GeluKind.Erf),
        Activation.GeluTanh => Ops.Gelu(x, GeluKind.Tanh),
        Activation.QuickGelu => Ops.Gelu(x, GeluKind.Quick),
        Activation.Silu => Ops.Silu(x),
        _ => throw new ArgumentOutOfRangeException(nameof(act)),
    };
}
