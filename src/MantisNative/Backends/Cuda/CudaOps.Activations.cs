using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// GELU (three kinds), SiLU, SwiGLU and softmax: one forward and one backward kernel each.
internal sealed partial class CudaOps
{
    private static string GeluKernel(GeluKind kind) => kind switch
    {
        GeluKind.Erf => "gelu_erf",
        GeluKind.Tanh => "gelu_tanh",
        _ => "gelu_quick",
    };

    public Tensor Gelu(Tensor x, GeluKind kind) => Unary(x, "gelu", GeluKernel(kind) + "_forward", "Gelu");
    public Tensor GeluBackward(Tensor g, Tensor x, GeluKind kind) => UnaryBackward(g, x, "gelu", GeluKernel(kind) + "_backward", "Gelu");
    public Tensor Silu(Tensor x) => Unary(x, "tensor_ops", "silu_forward", "Silu");
    public Tensor SiluBackward(Tensor g, Tensor x) => UnaryBackward(g, x, "tensor_ops", "silu_backward", "Silu");

    /// <summary>y = f(x): kernel NAME_forward(x, y, n).</summary>
    private Tensor Unary(Tensor x, string file, string function, string op)
    {
        RequireBf16(op, x);
        long n = x.Numel;
        var y = Bf16Like(x);
        if (n > 0) _be.Launch(file, function, _be.Blocks(n), new KernelArgs().Ptr(P(x)).Ptr(P(y)).Long(n));
        return y;
    }

    /// <summary>gx = g f'(x): kernel NAME_backward(gy, x, gx, n).</summary>
    private Tensor UnaryBackward(Tensor g, Tensor x, string file, string function, string op)
    {
        RequireBf16(op + " backward", g, x);
        long n = x.Numel;
        var gx = Bf16Like(x);
        if (n > 0) _be.Launch(file, function, _be.Blocks(n), new KernelArgs().Ptr(P(g)).Ptr(P(x)).Ptr(P(gx)).Long(n));
        return gx;
    }

    public Tensor SwiGlu(Tensor gate, Tensor up)
    {
        RequireBf16("SwiGlu", gate, up);
        long n = gate.Numel;
        var y = Bf16Like(gate);
        if (n > 0) _be.Launch("swiglu", "swiglu_forward", _be.Blocks(n), new KernelArgs().Ptr(P(gate)).Ptr(P(up)).Ptr(P(y)).Long(n));
        return y;
    }

    /// <summary>One kernel writes both gradients; the one not asked for is freed at once.</summary>
    public (Tensor? Gate, Tensor? Up) SwiGluBackward(Tensor g, Tensor gate, Tensor up, bool needGate, bool needUp)
    {
        RequireBf16("SwiGlu backward", g, gate, up);
        long n = gate.Numel;
        var gg = Bf16Like(gate);
        var gu = Bf16Like(up);
        if (n > 0)
            _be.Launch("swiglu", "swiglu_backward", _be.Blocks(n),
                new KernelArgs().Ptr(P(g)).Ptr(P(gate)).Ptr(P(up)).Ptr(P(gg)).Ptr(P(gu)).Long(n));
        return (Keep(needGate, gg), Keep(needUp, gu));
    }

    private (int Threads, uint Grid, int Rows, int Cols) SoftmaxGeometry(Tensor x)
    {
        int cols = x.Dim(-1), rows = checked((int)(x.Numel / Math.Max(cols, 1)));
        return (LaunchGeometry.RowThreads(cols), LaunchGeometry.RowBlocks(rows, _be.Context.Device.MultiprocessorCount), rows, cols);
    }

    public Tensor Softmax(Tensor x)
    {
        RequireBf16("Softmax", x);
        var (threads, grid, rows, cols) = SoftmaxGeometry(x);
        var y = Bf16Like(x);
        if (rows > 0) _be.Launch("softmax", "softmax_forward", grid, new KernelArgs().Ptr(P(x)).Ptr(P(y)).Int(rows).Int(cols).Float(1f), threads);
        return y;
    }

    public Tensor SoftmaxBackward(Tensor g, Tensor y)
    {
        RequireBf16("Softmax backward", g, y);
        var (threads, grid, rows, cols) = SoftmaxGeometry(y);
        var gx = Bf16Like(y);
        if (rows > 0)
            _be.Launch("softmax", "softmax_backward", grid, new KernelArgs().Ptr(P(g)).Ptr(P(y)).Ptr(P(gx)).Int(rows).Int(cols).Float(1f), threads);
        return gx;
    }
}
