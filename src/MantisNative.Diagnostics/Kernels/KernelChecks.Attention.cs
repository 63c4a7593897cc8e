using MantisNative.Backends;
using MantisNative.Backends.Cpu;
using MantisNative.Interop;
using MantisNative.Tensors;
using AOps = MantisNative.Autograd.Ops;

using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

// Flash-style attention forward and backward on the OpCases attention case, against the CPU engine's attention
// (its forward, backward and log-sum-exp). The kernels keep [B, T, H, D]; the op's case is [B, H, T, D].
internal sealed partial class KernelChecks
{
    private void AttentionForwardAndBackward(int d, bool causal, int sq, int sk)
    {
        int batch = 2, heads = 4, kvHeads = 2;
        float scale = 1f / MathF.Sqrt(d);
        var kvLens = new[] { sk, Math.Max(1, sk - 13) };
        string tag = $"attention d{d} {(causal ? "causal" : "bidir")} {sq}x{sk}";
        var c = OpCases.Attention(tag, batch, heads, kvHeads, sq, sk, d, causal, OpCases.KeyLengthMask(sk, kvLens));
        var (x, r) = Reference(c);
        using var qd = Bf16(Bthd(x[0], batch, heads, sq, d));
        using var kd = Bf16(Bthd(x[1], batch, kvHeads, sk, d));
        using var vd = Bf16(Bthd(x[2], batch, kvHeads, sk, d));
        using var dod = Bf16(Bthd(r.Seed!, batch, heads, sq, d));
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

        Record($"{tag} o", ReadBf16(od, (int)qn), Bthd(r.Output, batch, heads, sq, d), c.ForwardTolerance);
        Record($"{tag} lse", ReadF32(lsed, batch * heads * sq), CpuLogSumExp(x, batch, heads, kvHeads, sq, sk, d, causal, scale, kvLens), Tolerances.Fp32Statistic);
        Record($"{tag} dq", ReadF32(dq, (int)qn), Bthd(r.Grads[0]!, batch, heads, sq, d), c.BackwardTolerance);
        Record($"{tag} dk", ReadF32(dk, (int)kn), Bthd(r.Grads[1]!, batch, kvHeads, sk, d), c.BackwardTolerance);
        Record($"{tag} dv", ReadF32(dv, (int)kn), Bthd(r.Grads[2]!, batch, kvHeads, sk, d), c.BackwardTolerance);
    }

    /// <summary>The CPU attention primitive's log-sum-exp [B, H, T] (the op returns only the output).</summary>
    private static float[] CpuLogSumExp(float[][] x, int b, int h, int hkv, int t, int s, int d, bool causal, float scale, int[] kvLens) =>
        CpuLogSumExp(x, b, h, hkv, t, s, d, causal, scale, OpCases.KeyLengthMask(s, kvLens));

    /// <summary>The same with any key mask [B, S] (true = a key).</summary>
    private static float[] CpuLogSumExp(float[][] x, int b, int h, int hkv, int t, int s, int d, bool causal, float scale, bool[] keyValid)
    {
        using var q = Tensor.FromArray(x[0], b, h, t, d);
        using var k = Tensor.FromArray(x[1], b, hkv, s, d);
        using var v = Tensor.FromArray(x[2], b, hkv, s, d);
        using var mask = AOps.KeyMask(keyValid, b, s, Device.Cpu);
        var (o, lse) = CpuOps.Instance.AttentionForward(q, k, v, mask, new AttentionGeometry(b, h, hkv, t, s, d, causal, scale));
        using (o) using (lse) return lse.ToArray();
    }

    /// <summary>[B, H, T, D] values in the kernels' [B, T, H, D] order.</summary>
    private static float[] Bthd(float[] bhtd, int b, int h, int t, int d)
    {
        var y = new float[bhtd.Length];
        for (int bi = 0; bi < b; bi++)
            for (int hi = 0; hi < h; hi++)
                for (int ti = 0; ti < t; ti++)
                    Array.Copy(bhtd, (((long)bi * h + hi) * t + ti) * d, y, (((long)bi * t + ti) * h + hi) * d, d);
        return y;
    }
}
