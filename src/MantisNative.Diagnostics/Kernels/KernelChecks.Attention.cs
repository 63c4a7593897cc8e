using MantisNative.Autograd;
using MantisNative.Backends;
using MantisNative.Backends.Cpu;
using MantisNative.Backends.Cuda;
using MantisNative.Interop;
using MantisNative.Tensors;
using AOps = MantisNative.Autograd.Ops;

namespace MantisNative.Diagnostics.Kernels;

// The scalar flash-style attention (kernels/attention.cu, the fallback below sm_80) forward and backward on the
// OpCases attention case in the kernels' own token-major layout, against the CPU engine's attention (its forward,
// backward and log-sum-exp).
internal sealed partial class KernelChecks
{
    private void AttentionForwardAndBackward(int d, bool causal, int sq, int sk)
    {
        int batch = 2, heads = 4, kvHeads = 2;
        float scale = 1f / MathF.Sqrt(d);
        var kvLens = new[] { sk, Math.Max(1, sk - 13) };
        string tag = $"attention d{d} {(causal ? "causal" : "bidir")} {sq}x{sk}";
        var valid = OpCases.KeyLengthMask(sk, kvLens);
        var c = OpCases.Attention(tag, batch, heads, kvHeads, sq, sk, d, causal, valid, AttentionLayout.TokenMajor);
        var (x, r) = Reference(c);
        using var qd = Bf16(x[0]);
        using var kd = Bf16(x[1]);
        using var vd = Bf16(x[2]);
        using var dod = Bf16(r.Seed!);
        using var lensd = I32(kvLens);
        long qn = x[0].Length, kn = x[1].Length;
        using var od = PoisonedBf16(qn);
        using var lsed = PoisonedF32(batch * heads * sq);
        Launch("attention", AttentionLaunch.ForwardFunction(d), AttentionLaunch.ForwardGrid(batch, heads, sq), AttentionLaunch.Threads, 0,
            new KernelArgs().Ptr(qd).Ptr(kd).Ptr(vd).Ptr(od).Ptr(lsed).Int(heads).Int(kvHeads).Int(sq).Int(sk)
                .Float(scale).Int(causal ? 1 : 0).Ptr(lensd).Ptr(0UL));
        using var delta = PoisonedF32(batch * heads * sq);
        Launch("attention", "attention_backward_delta", AttentionLaunch.DeltaGrid(batch, heads, sq, _ctx.Device.MultiprocessorCount),
            AttentionLaunch.Threads, 0, new KernelArgs().Ptr(od).Ptr(dod).Ptr(delta).Int(batch).Int(heads).Int(sq).Int(d));
        using var dq = ZeroF32(qn);
        using var dk = ZeroF32(kn);
        using var dv = ZeroF32(kn);
        Launch("attention", AttentionLaunch.BackwardFunction(d), AttentionLaunch.BackwardGrid(batch, heads, sk), AttentionLaunch.Threads,
            AttentionLaunch.BackwardSharedBytes(d),
            new KernelArgs().Ptr(qd).Ptr(kd).Ptr(vd).Ptr(dod).Ptr(lsed).Ptr(delta).Ptr(dq).Ptr(dk).Ptr(dv)
                .Int(heads).Int(kvHeads).Int(sq).Int(sk).Float(scale).Int(causal ? 1 : 0).Ptr(lensd).Ptr(0UL));

        var geo = new AttentionGeometry(batch, heads, kvHeads, sq, sk, d, causal, scale, TokenMajor: true);
        Record($"{tag} o", ReadBf16(od, (int)qn), r.Output, c.ForwardTolerance);
        Record($"{tag} lse", ReadF32(lsed, batch * heads * sq), CpuLogSumExp(geo, x, valid), Tolerances.Fp32Statistic);
        Record($"{tag} dq", ReadF32(dq, (int)qn), r.Grads[0]!, c.BackwardTolerance);
        Record($"{tag} dk", ReadF32(dk, (int)kn), r.Grads[1]!, c.BackwardTolerance);
        Record($"{tag} dv", ReadF32(dv, (int)kn), r.Grads[2]!, c.BackwardTolerance);
    }

    /// <summary>The CPU attention primitive's log-sum-exp [B, H, T] for inputs x (q, k, v in geo's layout; the op
    /// returns only the output). keyValid [B * S], true = a key.</summary>
    private static float[] CpuLogSumExp(AttentionGeometry geo, float[][] x, bool[] keyValid)
    {
        var (b, h, hkv, t, s, d) = (geo.Batch, geo.Heads, geo.KvHeads, geo.QueryLen, geo.KeyLen, geo.HeadDim);
        using var q = geo.TokenMajor ? Tensor.FromArray(x[0], b, t, h, d) : Tensor.FromArray(x[0], b, h, t, d);
        using var k = geo.TokenMajor ? Tensor.FromArray(x[1], b, s, hkv, d) : Tensor.FromArray(x[1], b, hkv, s, d);
        using var v = geo.TokenMajor ? Tensor.FromArray(x[2], b, s, hkv, d) : Tensor.FromArray(x[2], b, hkv, s, d);
        using var mask = AOps.KeyMask(keyValid, b, s, Device.Cpu);
        var (o, lse) = CpuOps.Instance.AttentionForward(q, k, v, mask, geo);
        using (o) using (lse) return lse.ToArray();
    }
}
