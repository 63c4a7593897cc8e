using MantisNative.Backends;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static partial class Ops
{
    public static Tensor Gelu(Tensor x, GeluKind kind)
    {
        var be = On(x);
        var y = be.Gelu(x, kind);
        if (Tape.Needs(x)) Tape.Record(y, g => Accumulate(x, be.GeluBackward(g, x, kind)));
        return y;
    }

    public static Tensor Silu(Tensor x)
    {
        var be = On(x);
        var y = be.Silu(x);
        if (Tape.Needs(x)) Tape.Record(y, g => Accumulate(x, be.SiluBackward(g, x)));
        return y;
    }

    /// <summary>The activation a config names.</summary>
    public static Tensor Activate(Activation act, Tensor x) => act switch
    {
        Activation.Gelu => Gelu(x, GeluKind.Erf),
        Activation.GeluTanh => Gelu(x, GeluKind.Tanh),
        Activation.QuickGelu => Gelu(x, GeluKind.Quick),
        Activation.Silu => Silu(x),
        _ => throw new ArgumentOutOfRangeException(nameof(act)),
    };

    /// <summary>Fused SwiGLU: silu(gate) * up (the Llama MLP's inner activation).</summary>
    public static Tensor SwiGlu(Tensor gate, Tensor up)
    {
        if (!gate.Shape.Equals(up.Shape)) throw new ArgumentException($"SwiGlu: gate {gate.Shape} and up {up.Shape} differ");
        var be = On("SwiGlu", gate, up);
        var y = be.SwiGlu(gate, up);
        if (Tape.Needs(gate, up))
            Tape.Record(y, g =>
            {
                var (gg, gu) = be.SwiGluBackward(g, gate, up, gate.RequiresGrad, up.RequiresGrad);
                Accumulate(gate, gg);
                Accumulate(up, gu);
            });
        return y;
    }

    /// <summary>Softmax over the last dimension.</summary>
    public static Tensor Softmax(Tensor x)
    {
        var be = On(x);
        var y = be.Softmax(x);
        if (Tape.Needs(x)) Tape.Record(y, g => Accumulate(x, be.SoftmaxBackward(g, y)));
        return y;
    }
}
