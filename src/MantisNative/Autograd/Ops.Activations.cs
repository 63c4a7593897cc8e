using MantisNative.Backends.Cpu;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static unsafe partial class Ops
{
    public static Tensor Gelu(Tensor x, GeluKind kind)
    {
        if (kind != GeluKind.Erf) return VectorGelu(x, kind);
        var y = Tensor.Zeros(x.Shape);
        nint px = (nint)x.Data, py = (nint)y.Data;
        Activations.Map(x.Numel, (s, e) => { for (long i = s; i < e; i++) ((float*)py)[i] = Activations.Gelu(kind, ((float*)px)[i]); });
        if (Tape.Needs(x))
            Tape.Record(y, g =>
            {
                using var gx = Tensor.Zeros(x.Shape);
                nint pg = (nint)g.Data, pgx = (nint)gx.Data;
                Activations.Map(x.Numel, (s, e) =>
                {
                    for (long i = s; i < e; i++) ((float*)pgx)[i] = ((float*)pg)[i] * Activations.GeluGrad(kind, ((float*)px)[i]);
                });
                x.AccumulateGrad(gx);
            });
        return y;
    }

    /// <summary>tanh and quick GELU on the SIMD path.</summary>
    private static Tensor VectorGelu(Tensor x, GeluKind kind)
    {
        var y = Tensor.Zeros(x.Shape);
        if (kind == GeluKind.Tanh) VectorActivations.GeluTanh(x.Data, y.Data, x.Numel);
        else VectorActivations.SigmoidGate(x.Data, y.Data, x.Numel, 1.702f);
        if (Tape.Needs(x))
            Tape.Record(y, g =>
            {
                using var gx = Tensor.Zeros(x.Shape);
                if (kind == GeluKind.Tanh) VectorActivations.GeluTanhBackward(x.Data, g.Data, gx.Data, x.Numel);
                else VectorActivations.SigmoidGateBackward(x.Data, g.Data, gx.Data, x.Numel, 1.702f);
                x.AccumulateGrad(gx);
            });
        return y;
    }

    public static Tensor Silu(Tensor x)
    {
        var y0 = Tensor.Zeros(x.Shape);
        VectorActivations.SigmoidGate(x.Data, y0.Data, x.Numel, 1f);
        if (Tape.Needs(x))
            Tape.Record(y0, g =>
            {
                using var gx = Tensor.Zeros(x.Shape);
                VectorActivations.SigmoidGateBackward(x.Data, g.Data, gx.Data, x.Numel, 1f);
                x.AccumulateGrad(gx);
            });
        return y0;
    }

    /// <summary>Fused SwiGLU: silu(gate) * up (the Llama MLP's inner activation).</summary>
    public static Tensor SwiGlu(Tensor gate, Tensor up)
    {
        if (!gate.Shape.Equals(up.Shape)) throw new ArgumentException($"SwiGlu: gate {gate.Shape} and up {up.Shape} differ");
        var y = Tensor.Zeros(gate.Shape);
        VectorActivations.SwiGlu(gate.Data, up.Data, y.Data, gate.Numel);
        if (Tape.Needs(gate, up))
            Tape.Record(y, g =>
            {
                using var gg = gate.RequiresGrad ? Tensor.Zeros(gate.Shape) : null;
                using var gu = up.RequiresGrad ? Tensor.Zeros(up.Shape) : null;
                VectorActivations.SwiGluBackward(gate.Data, up.Data, g.Data, gg is null ? null : gg.Data, gu is null ? null : gu.Data, gate.Numel);
                if (gg is not null) gate.AccumulateGrad(gg);
                if (gu is not null) up.AccumulateGrad(gu);
            });
        return y;
    }

    /// <summary>Softmax over the last dimension.</summary>
    public static Tensor Softmax(Tensor x)
    {
        int dim = x.Dim(-1), rows = checked((int)(x.Numel / dim));
        var y = Tensor.Zeros(x.Shape);
        nint px = (nint)x.Data, py = (nint)y.Data;
        CpuParallel.ForRange(rows, 8, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                TensorPrimitives.SoftMax(new ReadOnlySpan<float>((float*)px + (long)r * dim, dim), new Span<float>((float*)py + (long)r * dim, dim));
        });
        if (Tape.Needs(x))
            Tape.Record(y, g =>
            {
                using var gx = Tensor.Zeros(x.Shape);
                nint pg = (nint)g.Data, pgx = (nint)gx.Data;
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
                x.AccumulateGrad(gx);
            });
        return y;
    }
}
