using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu;

internal sealed unsafe partial class CpuOps
{
    private static AttentionShape Shape(AttentionGeometry g, Tensor? keyValid) =>
        new(g.Batch, g.Heads, g.KvHeads, g.QueryLen, g.KeyLen, g.HeadDim, g.Causal, Mask(keyValid), g.Scale, g.TokenMajor);

    /// <summary>The [B, S] byte mask as the kernel's bool array (B * S bytes per call: small beside the attention).</summary>
    private static bool[]? Mask(Tensor? keyValid)
    {
        if (keyValid is null) return null;
        var bytes = keyValid.Bytes;
        var valid = new bool[bytes.Length];
        for (int i = 0; i < valid.Length; i++) valid[i] = bytes[i] != 0;
        return valid;
    }

    public (Tensor O, Tensor Lse) AttentionForward(Tensor q, Tensor k, Tensor v, Tensor? keyValid, AttentionGeometry geo)
    {
        var o = Tensor.Empty(q.Shape);
        var lse = Tensor.Empty(new Shape(geo.Batch, geo.Heads, geo.QueryLen));
        Attention.Forward(Shape(geo, keyValid), q.Data, k.Data, v.Data, o.Data, lse.Data);
        return (o, lse);
    }

    public (Tensor? Q, Tensor? K, Tensor? V) AttentionBackward(Tensor g, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor? keyValid,
        AttentionGeometry geo, bool needQ, bool needK, bool needV)
    {
        var gq = ZerosIf(needQ, q.Shape);
        var gk = ZerosIf(needK, k.Shape);
        var gv = ZerosIf(needV, v.Shape);
        Attention.Backward(Shape(geo, keyValid), q.Data, k.Data, v.Data, o.Data, lse.Data, g.Data, Ptr(gq), Ptr(gk), Ptr(gv));
        return (gq, gk, gv);
    }

    public Tensor RopeForward(Tensor x, Tensor cos, Tensor sin, int period) => RopeApply(x, cos, sin, period, transpose: false);

    public Tensor RopeBackward(Tensor g, Tensor cos, Tensor sin, int period) => RopeApply(g, cos, sin, period, transpose: true);

    private static Tensor RopeApply(Tensor x, Tensor cos, Tensor sin, int period, bool transpose)
    {
        int dim = x.Dim(-1), heads = x.Dim(-2);
        int tokens = checked((int)(x.Numel / ((long)dim * heads)));
        var y = transpose ? Tensor.Zeros(x.Shape) : Tensor.Empty(x.Shape);
        Rope.Apply(x.Data, y.Data, tokens, heads, dim, cos.Data, sin.Data, period, transpose);
        return y;
    }
}
