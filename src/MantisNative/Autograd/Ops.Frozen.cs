using MantisNative.Backends.Cpu;
using MantisNative.Backends.Cpu.Frozen;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static partial class Ops
{
    /// <summary>
    /// x @ Wᵀ + bias for a frozen weight in its own format (<see cref="FrozenMatrix"/>: bf16, f16, int8, NF4, f32),
    /// decoded inside the GEMM's packing or the decode GEMV. The weight gets no gradient; x gets dX = dY·W through
    /// the same decoding path (a LoRA adapter on a frozen base needs it), the bias its usual gradient. Host only.
    /// </summary>
    public static Tensor FrozenLinear(Tensor x, FrozenMatrix w, Tensor? bias = null)
    {
        int inF = w.Cols, outF = w.Rows;
        if (x.Dim(-1) != inF) throw new ArgumentException($"Linear {w.Name ?? ""}: input {x.Shape} does not end in {inF}");
        if (bias is not null && (bias.Rank != 1 || bias.Dim(0) != outF)) throw new ArgumentException($"Linear: bias {bias.Shape} is not [{outF}]");
        RequireHost("Linear", w, x, bias);
        int rows = checked((int)(x.Numel / inF));
        var be = CpuOps.Instance;
        var y = be.FrozenLinear(x, w, bias, rows);
        if (Tape.Needs(x, bias))
            Tape.Record(y, g =>
            {
                if (x.RequiresGrad) Accumulate(x, be.FrozenLinearBackwardInput(g, x, w, rows));
                if (bias is not null && bias.RequiresGrad) Accumulate(bias, be.SumLeading(g, bias.Shape, outF));
            });
        return y;
    }

    /// <summary>Rows of a frozen embedding table for token ids: [ids.Length, D] F32 (no gradient reaches the table).</summary>
    public static Tensor FrozenEmbedding(FrozenMatrix table, ReadOnlySpan<int> ids)
    {
        foreach (var id in ids)
            if ((uint)id >= (uint)table.Rows)
                throw new MantisException($"token id {id} is outside the embedding table of {table.Rows} rows{(table.Name is null ? "" : $" ({table.Name})")}");
        return CpuOps.Instance.FrozenEmbedding(table, ids);
    }

    private static void RequireHost(string op, FrozenMatrix w, params Tensor?[] inputs)
    {
        foreach (var t in inputs)
            if (t is not null && (t.IsOnDevice || t.DType != DType.F32))
                throw new MantisException($"{op} {w.Name}: the weight is frozen as {w.Format.Name()} on the CPU, but an input is {t.DType} on {t.Device}; " +
                                          "frozen 16-bit and quantized weights run on the CPU (load with --weights f32 to move a model to a GPU)");
    }
}
