using MantisNative.Backends.Cuda;
using MantisNative.Backends.Cpu;
using MantisNative.Tensors;
using CpuAttention = MantisNative.Backends.Cpu.Attention;

namespace MantisNative.Autograd;

public static unsafe partial class Ops
{
    /// <summary>
    /// Scaled-dot-product attention: q [B, Hq, T, D], k and v [B, Hkv, S, D] (Hq a multiple of Hkv),
    /// causal or bidirectional, with an optional [B, S] key padding mask (false = padded). Returns [B, Hq, T, D].
    /// </summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, bool causal, bool[]? keyValid = null, float? scale = null)
    {
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4) throw new ArgumentException($"Attention needs rank-4 q, k, v; got {q.Shape}, {k.Shape}, {v.Shape}");
        int B = q.Dim(0), H = q.Dim(1), T = q.Dim(2), D = q.Dim(3), Hkv = k.Dim(1), S = k.Dim(2);
        if (k.Dim(0) != B || !k.Shape.Equals(v.Shape) || k.Dim(3) != D || Hkv == 0 || H % Hkv != 0 || S < T && causal)
            throw new ArgumentException($"Attention: incompatible q {q.Shape}, k {k.Shape}, v {v.Shape}");
        if (keyValid is not null && keyValid.Length != B * S) throw new ArgumentException($"Attention: key mask has {keyValid.Length} entries, expected {B}x{S}");
        if (OnDevice("Attention", q, k, v)) return CudaOps.Attention(q, k, v, causal, keyValid, scale ?? 1f / MathF.Sqrt(D));
        var shape = new AttentionShape(B, H, Hkv, T, S, D, causal, keyValid, scale ?? 1f / MathF.Sqrt(D));
        var o = Tensor.Empty(q.Shape);
        var lse = new float[(long)B * H * T];
        fixed (float* pl = lse) CpuAttention.Forward(shape, q.Data, k.Data, v.Data, o.Data, pl);
        if (Tape.Needs(q, k, v))
            Tape.Record(o, g =>
            {
                using var gq = q.RequiresGrad ? Tensor.Zeros(q.Shape) : null;
                using var gk = k.RequiresGrad ? Tensor.Zeros(k.Shape) : null;
                using var gv = v.RequiresGrad ? Tensor.Zeros(v.Shape) : null;
                fixed (float* pl = lse)
                    CpuAttention.Backward(shape, q.Data, k.Data, v.Data, o.Data, pl, g.Data,
                        gq is null ? null : gq.Data, gk is null ? null : gk.Data, gv is null ? null : gv.Data);
                if (gq is not null) q.AccumulateGrad(gq);
                if (gk is not null) k.AccumulateGrad(gk);
                if (gv is not null) v.AccumulateGrad(gv);
            });
        return o;
    }
}
