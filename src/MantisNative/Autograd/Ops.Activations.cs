using MantisNative.Backends.Cpu;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static unsafe partial class Ops
{
    public static Tensor Gelu(Tensor x, GeluKind kind)
    {
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

    public static Tensor Silu(Tensor x)
    {
        var y = Tensor.Zeros(x.Shape);
        nint px = (nint)x.Data, py = (nint)y.Data;
        Activations.Map(x.Numel, (s, e) => { for (long i = s; i < e; i++) ((float*)py)[i] = Activations.Silu(((float*)px)[i]); });
        if (Tape.Needs(x))
            Tape.Record(y, g =>
            {
                using var gx = Tensor.Zeros(x.Shape);
                nint pg = (nint)g.Data, pgx = (nint)gx.Data;
                Activations.Map(x.Numel, (s, e) =>
                {
                    for (long i = s; i < e; i++) ((float*)pgx)[i] = ((float*)pg)[i] * Activations.SiluGrad(((float*)px)[i]);
                });
                x.AccumulateGrad(gx);
            });
        return y;
    }

    /// <summary>Fused SwiGLU: silu(gate) * up (the Llama MLP's inner activation).</summary>
    public static Tensor SwiGlu(Tensor gate, Tensor up)
    {
        if (!gate.Shape.Equals(up.Shape)) throw new ArgumentException($"SwiGlu: gate {gate.Shape} and up {up.Shape} differ");
        var y = Tensor.Zeros(gate.Shape);
        nint pgt = (nint)gate.Data, pu = (nint)up.Data, py = (nint)y.Data;
        Activations.Map(gate.Numel, (s, e) =>
        {
            for (long i = s; i < e; i++) ((float*)py)[i] = Activations.Silu(((float*)pgt)[i]) * ((float*)pu)[i];
        });
        if (Tape.Needs(gate, up))
            Tape.Record(y, g =>
            {
                using var gg = gate.RequiresGrad ? Tensor.Zeros(gate.Shape) : null;
                using var gu = up.RequiresGrad ? Tensor.Zeros(up.Shape) : null;
                nint pg = (nint)g.Data, pgg = gg is null ? 0 : (nint)gg.Data, pgu = gu is null ? 0 : (nint)gu.Data;
                Activations.Map(gate.Numel, (s, e) =>
                {
                    for (long i = s; i < e; i++)
                    {
                        float a = ((float*)pgt)[i], d = ((float*)pg)[i];
                        if (pgg != 0) ((float*)pgg)[i] = d * ((float*)pu)[i] * Activations.SiluGrad(a);
                        if (pgu != 0) ((float*)pgu)[i] = d * Activations.Silu(a);
                    }
                });
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
