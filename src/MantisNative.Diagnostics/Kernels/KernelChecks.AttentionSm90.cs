using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

// The sm_90a forward (kernels/flash_attention_sm90.cu: TMA, mbarriers, wgmma, warp-specialised) against softmax(QK^T)V
// in double: every head dim, causal and bidirectional, grouped-query heads, per-sequence lengths, a key mask, a causal
// case with more queries than keys (rows that see nothing), lengths that are not tile multiples. Runs where the device
// reports compute capability 9.0 (an H100, or the emulated device); elsewhere the group says it was skipped.
internal sealed partial class KernelChecks
{
    private void AttentionSm90Forwards()
    {
        if (_ctx.Device.ComputeMajor != 9 || _ctx.Device.ComputeMinor != 0)
        {
            Skip("attention sm90", $"skipped: needs compute capability 9.0 (sm_90a), the device is {_ctx.Device.SmArch}");
            return;
        }
        AttentionSm90Forward(64, causal: true, sq: 37, sk: 37, masked: false);
        AttentionSm90Forward(72, causal: false, sq: 33, sk: 70, masked: true);
        AttentionSm90Forward(80, causal: false, sq: 5, sk: 37, masked: false);
        AttentionSm90Forward(96, causal: true, sq: 50, sk: 70, masked: false);
        AttentionSm90Forward(128, causal: true, sq: 130, sk: 130, masked: true);
        AttentionSm90Forward(64, causal: true, sq: 40, sk: 20, masked: false);
    }

    private void AttentionSm90Forward(int d, bool causal, int sq, int sk, bool masked)
    {
        int batch = 2, heads = 4, kvHeads = 2, group = heads / kvHeads;
        float scale = 1f / MathF.Sqrt(d);
        var kvLens = new[] { sk, Math.Max(1, sk - 13) };
        var keyOk = Enumerable.Range(0, batch * sk).Select(i => !masked || i % 7 != 3).ToArray();
        var q = RoundBf16(Rand(batch * sq * heads * d, 2f));
        var k = RoundBf16(Rand(batch * sk * kvHeads * d, 2f));
        var v = RoundBf16(Rand(batch * sk * kvHeads * d));
        using var qd = Bf16(q);
        using var kd = Bf16(k);
        using var vd = Bf16(v);
        using var lensd = I32(kvLens);
        using var maskd = DeviceBuffer.FromHost<byte>(_ctx, keyOk.Select(x => x ? (byte)1 : (byte)0).ToArray());
        using var od = PoisonedBf16(q.Length);
        using var lsed = PoisonedF32(batch * heads * sq);
        Launch(FlashAttentionSm90.Module, FlashAttentionSm90.ForwardFunction(d), FlashAttentionSm90.Grid(batch, heads, sq), FlashAttentionSm90.Threads,
            FlashAttentionSm90.SharedBytes(d),
            FlashAttentionSm90.Args(qd.Pointer, kd.Pointer, vd.Pointer, od.Pointer, lsed.Pointer, batch, heads, kvHeads, sq, sk, d, scale, causal,
                lensd.Pointer, masked ? maskd.Pointer : 0UL));

        var o = new double[q.Length];
        var lse = new double[batch * heads * sq];
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < sq; i++)
                {
                    long qo = ((long)(b * sq + i) * heads + h) * d;
                    int row = (b * heads + h) * sq + i;
                    var visible = Enumerable.Range(0, sk).Where(j => j < kvLens[b] && keyOk[b * sk + j] && (!causal || j <= i + sk - sq)).ToArray();
                    if (visible.Length == 0) { lse[row] = double.NegativeInfinity; continue; }
                    var s = visible.Select(j =>
                    {
                        long ko = ((long)(b * sk + j) * kvHeads + h / group) * d;
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += (double)q[qo + e] * k[ko + e];
                        return dot * scale;
                    }).ToArray();
                    double m = s.Max(), sum = s.Sum(x => Math.Exp(x - m));
                    lse[row] = m + Math.Log(sum);
                    for (int t = 0; t < visible.Length; t++)
                    {
                        long ko = ((long)(b * sk + visible[t]) * kvHeads + h / group) * d;
                        double p = Math.Exp(s[t] - m) / sum;
                        for (int e = 0; e < d; e++) o[qo + e] += p * v[ko + e];
                    }
                }
        // o: bf16 output of bf16 P times V (each rounds ~2^-9 relative) -> 1e-2 relative L2; lse: fp32 -> 1e-4
        string tag = $"attention sm90 d{d} {(causal ? "causal" : "bidir")}{(masked ? " masked" : "")} {sq}x{sk}";
        Record($"{tag} o", ReadBf16(od, q.Length), o, 1e-2);
        Record($"{tag} lse", ReadF32(lsed, lse.Length), lse, 1e-4);
    }
}
