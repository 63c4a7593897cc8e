using MantisNative.Backends.Cuda;
using MantisNative.Tensors;
using CpuRope = MantisNative.Backends.Cpu.Rope;

namespace MantisNative.Autograd;

public static unsafe partial class Ops
{
    /// <summary>
    /// Rotary embedding of x [..., tokens, heads, headDim]: every token row uses its own position's
    /// cos/sin (tables of [rows, headDim/2] from <see cref="CpuRope.Tables"/>, one row per token of the flattened leading dims).
    /// </summary>
    public static Tensor Rope(Tensor x, float[] cos, float[] sin)
    {
        int dim = x.Dim(-1), heads = x.Dim(-2);
        int tokens = checked((int)(x.Numel / ((long)dim * heads)));
        if (cos.Length != tokens * (dim / 2)) throw new ArgumentException($"Rope: tables for {cos.Length / Math.Max(1, dim / 2)} tokens, tensor {x.Shape} has {tokens}");
        if (OnDevice(x)) return CudaOps.Rope(x, cos, sin, tokens, heads, dim);
        var y = Tensor.Empty(x.Shape);
        CpuRope.Apply(x.Data, y.Data, tokens, heads, dim, cos, sin, transpose: false);
        if (Tape.Needs(x))
            Tape.Record(y, g =>
            {
                using var gx = Tensor.Zeros(x.Shape);
                CpuRope.Apply(g.Data, gx.Data, tokens, heads, dim, cos, sin, transpose: true);
                x.AccumulateGrad(gx);
            });
        return y;
    }
}
