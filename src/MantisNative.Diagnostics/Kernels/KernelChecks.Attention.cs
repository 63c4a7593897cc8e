using MantisNative.Backends;
using MantisNative.Interop;

using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

// Flash-style attention forward and backward against the naive softmax(QK^T)V and its gradients. Inputs are fresh random values, outputs poisoned first, references in double.
internal sealed partial class KernelChecks
{
    private void AttentionForwardAndBackward(int d, bool causal, int sq, int sk)
    {
        int batch = 2, heads = 4, kvHeads = 2;
        float scale = 1f / MathF.Sqrt(d);
        var kvLens = new[] { sk, Math.Max(1, sk - 13) };
        var q = RoundBf16(Rand(batch * sq * heads * d));
        var k = RoundBf16(Rand(batch * sk * kvHeads * d));
        var v = RoundBf16(Rand(batch * sk * kvHeads * d));
        var dout = RoundBf16(Rand(batch * sq * heads * d));
        using var qd = Bf16(q);
        using var kd = Bf16(k);
        using var vd = Bf16(v);
        using var dod = Bf16(dout);
        using var lensd = I32(kvLens);
        using var od = PoisonedBf16(q.Length);
        using var lsed = PoisonedF32(batch * heads * sq);
        Launch("attention", AttentionLaunch.ForwardFunction(d), AttentionLaunch.ForwardGrid(batch, heads, sq), AttentionLaunch.Threads, 0,
            new KernelArgs().Ptr(qd).Ptr(kd).Ptr(vd).Ptr(od).Ptr(lsed).Int(heads).Int(kvHeads).Int(sq).Int(sk)
                .Float(scale).Int(causal ? 1 : 0).Ptr(lensd).Ptr(0UL));
        using var delta = PoisonedF32(batch * heads * sq);
        Launch("attention", "attention_backward_delta", AttentionLaunch.DeltaGrid(batch, heads, sq, _ctx.Device.MultiprocessorCount),
            AttentionLaunch.Threads, 0, new KernelArgs().Ptr(od).Ptr(dod).Ptr(delta).Int(batch).Int(heads).Int(sq).Int(d));
        using var dq = ZeroF32(q.Length);
        using var dk = ZeroF32(k.Length);
        using var dv = ZeroF32(v.Length);
        Launch("attention", AttentionLaunch.BackwardFunction(d), AttentionLaunch.BackwardGrid(batch, heads, sk), AttentionLaunch.Threads,
            AttentionLaunch.BackwardSharedBytes(d),
            new KernelArgs().Ptr(qd).Ptr(kd).Ptr(vd).Ptr(dod).Ptr(lsed).Ptr(delta).Ptr(dq).Ptr(dk).Ptr(dv)
                .Int(heads).Int(kvHeads).Int(sq).Int(sk).Float(scale).Int(causal ? 1 : 0).Ptr(lensd).Ptr(0UL));

        var c = new AttentionCase(d, causal, sq, sk, heads, kvHeads, TokenMajor: true, KvLens: true, Batch: batch);
        var geo = new AttentionGeometry(batch, heads, kvHeads, sq, sk, d, causal, scale);
        var (o, lse, gq, gk, gv) = AttentionReference.Compute(c, FlashLayout.TokenMajor(geo), q, k, v, dout, kvLens, null, scale);
        string tag = $"attention d{d} {(causal ? "causal" : "bidir")} {sq}x{sk}";
        Record($"{tag} o", ReadBf16(od, q.Length), o, 1e-2);
        Record($"{tag} lse", ReadF32(lsed, lse.Length), lse, 1e-4);
        Record($"{tag} dq", ReadF32(dq, q.Length), gq, 2e-2);
        Record($"{tag} dk", ReadF32(dk, k.Length), gk, 2e-2);
        Record($"{tag} dv", ReadF32(dv, v.Length), gv, 2e-2);
    }
}
