using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu;

internal sealed unsafe partial class CpuOps
{
    private const float QuickGeluAlpha = 1.702f;

    public Tensor Gelu(Tensor x, GeluKind kind)
    {
        var y = Tensor.Empty(x.Shape);
        if (kind == GeluKind.Tanh) VectorActivations.GeluTanh(x.Data, y.Data, x.Numel);
        else if (kind == GeluKind.Quick) VectorActivations.SigmoidGate(x.Data, y.Data, x.Numel, QuickGeluAlpha);
        else VectorActivations.GeluErf(x.Data, y.Data, x.Numel);
        return y;
    }

    public Tensor GeluBackward(Tensor g, Tensor x, GeluKind kind)
    {
        var gx = Tensor.Empty(x.Shape); // every element is written below
        if (kind == GeluKind.Tanh) VectorActivations.GeluTanhBackward(x.Data, g.Data, gx.Data, x.Numel);
        else if (kind == GeluKind.Quick) VectorActivations.SigmoidGateBackward(x.Data, g.Data, gx.Data, x.Numel, QuickGeluAlpha);
        else VectorActivations.GeluErfBackward(x.Data, g.Data, gx.Data, x.Numel);
        return gx;
    }

    public Tensor Silu(Tensor x)
    {
        var y = Tensor.Empty(x.Shape);
        VectorActivations.SigmoidGate(x.Data, y.Data, x.Numel, 1f);
        return y;
    }

    public Tensor SiluBackward(Tensor g, Tensor x)
    {
        var gx = Tensor.Zeros(x.Shape);
        VectorActivations.SigmoidGateBackward(x.Data, g.Data, gx.Data, x.Numel, 1f);
        return gx;
    }

    public Tensor SwiGlu(Tensor gate, Tensor up)
    {
        var y = Tensor.Empty(gate.Shape);
        VectorActivations.SwiGlu(gate.Data, up.Data, y.Data, gate.Numel);
        return y;
    }

    public (Tensor? Gate, Tensor? Up) SwiGluBackward(Tensor g, Tensor gate, Tensor up, bool needGate, bool needUp)
    {
        var gg = ZerosIf(needGate, gate.Shape);
        var gu = ZerosIf(needUp, up.Shape);
        VectorActivations.SwiGluBackward(gate.Data, up.Data, g.Data, Ptr(gg), Ptr(gu), gate.Numel);
        return (gg, gu);
    }

    public Tensor Softmax(Tensor x)
    {
        int dim = x.Dim(-1), rows = checked((int)(x.Numel / dim));
        var y = Tensor.Empty(x.Shape);
        nint px = (nint)x.Data, py = (nint)y.Data;
        CpuParallel.ForRange(rows, 8, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                TensorPrimitives.SoftMax(new ReadOnlySpan<float>((float*)px + (long)r * dim, dim), new Span<float>((float*)py + (long)r * dim, dim));
        });
        return y;
    }

    public Tensor SoftmaxBackward(Tensor g, Tensor y)
    {
        int dim = y.Dim(-1), rows = checked((int)(y.Numel / dim));
        var gx = Tensor.Zeros(y.Shape);
        nint py = (nint)y.Data, pg = (nint)g.Data, pgx = (nint)gx.Data;
        CpuParallel.ForRange(rows, 8, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var yr = new ReadOnlySpan<float>((float*)py + (long)r * dim, dim);
                var gr = new ReadOnlySpan<float>((float*)pg + (long)r * dim, dim);
                var dr = new Span<float>((float*)pgx + (long)r * dim, dim);
                float dot = TensorPrimitives.Dot(yr, gr);
                TensorPrimitives.Subtract(gr, dot, dr);   // dx = y * (g - <g, y>)
                TensorPrimitives.Multiply(dr, yr, dr);
            }
        });
        return gx;
    }
}
