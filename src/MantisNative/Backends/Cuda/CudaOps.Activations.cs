using MantisNative.Autograd;
using MantisNative.Backends.Cpu;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// GELU (three kinds), SiLU, SwiGLU and softmax: one forward and one backward kernel each.
public static partial class CudaOps
{
    public static Tensor Gelu(Tensor x, GeluKind kind) => Unary(x, "gelu", kind switch
    {
        GeluKind.Erf => "gelu_erf",
        GeluKind.Tanh => "gelu_tanh",
        _ => "gelu_quick",
    }, "Gelu");

    public static Tensor Silu(Tensor x) => Unary(x, "tensor_ops", "silu", "Silu");

    /// <summary>y = f(x) with kernels NAME_forward(x, y, n) and NAME_backward(gy, x, gx, n).</summary>
    private static Tensor Unary(Tensor x, string file, string name, string op)
    {
        RequireBf16(op, x);
        var be = Be(x);
        long n = x.Numel;
        var y = Bf16Like(x);
        if (n > 0) be.Launch(file, name + "_forward", be.Blocks(n), new KernelArgs().Ptr(P(x)).Ptr(P(y)).Long(n));
        if (Tape.Needs(x))
            Record(y, g =>
            {
                using var gx = Bf16Like(x);
                if (n > 0) be.Launch(file, name + "_backward", be.Blocks(n), new KernelArgs().Ptr(P(g)).Ptr(P(x)).Ptr(P(gx)).Long(n));
                x.AccumulateGrad(gx);
            });
        return y;
    }

    public static Tensor SwiGlu(Tensor gate, Tensor up)
    {
        RequireBf16("SwiGlu", gate, up);
        var be = Be(gate);
        long n = gate.Numel;
        var y = Bf16Like(gate);
        if (n > 0) be.Launch("swiglu", "swiglu_forward", be.Blocks(n), new KernelArgs().Ptr(P(gate)).Ptr(P(up)).Ptr(P(y)).Long(n));
        if (Tape.Needs(gate, up))
            Record(y, g =>
            {
                using var gg = Bf16Like(gate);
                using var gu = Bf16Like(up);
                if (n > 0)
                    be.Launch("swiglu", "swiglu_backward", be.Blocks(n),
                        new KernelArgs().Ptr(P(g)).Ptr(P(gate)).Ptr(P(up)).Ptr(P(gg)).Ptr(P(gu)).Long(n));
                if (gate.RequiresGrad) gate.AccumulateGrad(gg);
                if (up.RequiresGrad) up.AccumulateGrad(gu);
            });
        return y;
    }

    public static Tensor Softmax(Tensor x)
    {
        RequireBf16("Softmax", x);
        var be = Be(x);
        int cols = x.Dim(-1), rows = checked((int)(x.Numel / Math.Max(cols, 1)));
        int threads = LaunchGeometry.RowThreads(cols);
        uint grid = LaunchGeometry.RowBlocks(rows, be.Context.Device.MultiprocessorCount);
        var y = Bf16Like(x);
        if (rows > 0) be.Launch("softmax", "softmax_forward", grid, new KernelArgs().Ptr(P(x)).Ptr(P(y)).Int(rows).Int(cols).Float(1f), threads);
        if (Tape.Needs(x))
            Record(y, g =>
            {
                using var gx = Bf16Like(x);
                if (rows > 0)
                    be.Launch("softmax", "softmax_backward", grid, new KernelArgs().Ptr(P(g)).Ptr(P(y)).Ptr(P(gx)).Int(rows).Int(cols).Float(1f), threads);
                x.AccumulateGrad(gx);
            });
        return y;
    }
}
