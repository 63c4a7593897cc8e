using MantisNative.Backends;
using MantisNative.Backends.Cuda;
using MantisNative.Interop;

namespace MantisNative.Diagnostics.Kernels;

/// <summary>One attention shape for the checks: GQA when KvHeads &lt; Heads; TokenMajor = [B, T, H, D] tensors (else
/// [B, H, T, D]); KeyMask masks some keys of each batch (the first few of batch 1 too, so causal rows there see
/// nothing); KvLens shortens batch 1.</summary>
internal readonly record struct AttentionCase(int D, bool Causal, int Sq, int Sk, int Heads = 4, int KvHeads = 2, bool TokenMajor = true,
    bool KeyMask = false, bool KvLens = true, int Batch = 2)
{
    public string Tag => $"d{D} {(Causal ? "causal" : "bidir")} {Sq}x{Sk} h{Heads}/{KvHeads} {(TokenMajor ? "bthd" : "bhtd")}" +
                         $"{(KeyMask ? " mask" : "")}{(KvLens ? " lens" : "")}";
}

/// <summary>softmax(QK^T scale) V and its gradients in double, visibility as the kernels define it.</summary>
internal sealed record AttentionReference(double[] O, double[] Lse, double[] Dq, double[] Dk, double[] Dv)
{
    public static AttentionReference Compute(AttentionCase c, FlashLayout lay, float[] q, float[] k, float[] v, float[] dout,
        int[] kvLens, byte[]? keyMask, float scale)
    {
        int d = c.D, group = c.Heads / c.KvHeads;
        var o = new double[q.Length];
        var lse = new double[c.Batch * c.Heads * c.Sq];
        var gq = new double[q.Length];
        var gk = new double[k.Length];
        var gv = new double[v.Length];
        for (int b = 0; b < c.Batch; b++)
            for (int h = 0; h < c.Heads; h++)
            {
                int hk = h / group;
                long KOff(int j) => b * lay.KBatch + j * lay.KToken + hk * lay.KHead;
                for (int i = 0; i < c.Sq; i++)
                {
                    long qo = b * lay.QBatch + i * lay.QToken + h * lay.QHead;
                    var vis = Enumerable.Range(0, c.Sk)
                        .Where(j => j < kvLens[b] && (keyMask is null || keyMask[b * c.Sk + j] != 0) && (!c.Causal || j <= i + c.Sk - c.Sq)).ToArray();
                    int row = (b * c.Heads + h) * c.Sq + i;
                    if (vis.Length == 0) { lse[row] = double.NegativeInfinity; continue; }
                    var s = vis.Select(j =>
                    {
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += (double)q[qo + e] * k[KOff(j) + e];
                        return dot * scale;
                    }).ToArray();
                    double m = s.Max(), sum = s.Sum(x => Math.Exp(x - m));
                    lse[row] = m + Math.Log(sum);
                    var p = s.Select(x => Math.Exp(x - m) / sum).ToArray();
                    var dp = new double[vis.Length];
                    for (int t = 0; t < vis.Length; t++)
                        for (int e = 0; e < d; e++) { o[qo + e] += p[t] * v[KOff(vis[t]) + e]; dp[t] += (double)dout[qo + e] * v[KOff(vis[t]) + e]; }
                    double dsum = 0;
                    for (int t = 0; t < vis.Length; t++) dsum += p[t] * dp[t];
                    for (int t = 0; t < vis.Length; t++)
                    {
                        long ko = KOff(vis[t]);
                        double ds = p[t] * (dp[t] - dsum);
                        for (int e = 0; e < d; e++)
                        {
                            gq[qo + e] += scale * ds * k[ko + e];
                            gk[ko + e] += scale * ds * q[qo + e];
                            gv[ko + e] += p[t] * dout[qo + e];
                        }
                    }
                }
            }
        return new AttentionReference(o, lse, gq, gk, gv);
    }
}

// The sm_80 tensor-core attention (kernels/flash_attention_sm80.cu) through the same launch sequence CudaOps uses,
// against the double-precision reference. Tolerances (relative L2): o 1e-2 (bf16 output, and P is rounded to bf16
// before P.V as on every flash kernel: ~2^-9 per element); lse 1e-4 (f32 from exact bf16 products); dQ, dK, dV
// 2e-2 (P and dS are rounded to bf16 before their mma, two roundings deep).
internal sealed partial class KernelChecks
{
    /// <summary>The variants `kernels check` runs: every head dim, causal and not, GQA, masks, odd lengths, both layouts, decode.</summary>
    public static readonly IReadOnlyList<AttentionCase> FlashCases = new AttentionCase[]
    {
        new(64, true, 37, 37),
        new(72, false, 33, 33, Heads: 4, KvHeads: 4, TokenMajor: false, KeyMask: true, KvLens: false),
        new(80, false, 5, 70, KeyMask: true),
        new(96, true, 50, 70, TokenMajor: true, KvLens: false),
        new(128, true, 65, 65, TokenMajor: false, KeyMask: true),
        new(8, true, 19, 19),
        new(16, false, 7, 45, TokenMajor: false),
        new(32, true, 3, 40, KeyMask: true),
        new(24, false, 23, 29, TokenMajor: false), // the tiny default's vision tower: one k16 + one k8 step, 3 n-tiles
        // decode: one query token against a cache of several 64-key splits
        new(128, true, 1, 150, Heads: 8, KvHeads: 2, KeyMask: true),
        new(64, false, 1, 200, Heads: 4, KvHeads: 4, TokenMajor: false),
        new(72, true, 1, 77, Heads: 6, KvHeads: 1, KvLens: false),
    };

    private void FlashAttentionVariants()
    {
        if (!FlashAttentionLaunch.RunsOn(_ctx.Device)) { Skip("flash attention sm80", $"{_ctx.Device.SmArch} is below sm_80 (the scalar kernels run there)"); return; }
        foreach (var c in FlashCases) FlashAttentionCheck(c);
    }

    private void FlashAttentionCheck(AttentionCase c)
    {
        var geo = new AttentionGeometry(c.Batch, c.Heads, c.KvHeads, c.Sq, c.Sk, c.D, c.Causal, 1f / MathF.Sqrt(c.D));
        var lay = c.TokenMajor ? FlashLayout.TokenMajor(geo) : FlashLayout.HeadMajor(geo);
        int nq = c.Batch * c.Sq * c.Heads * c.D, nk = c.Batch * c.Sk * c.KvHeads * c.D, rows = c.Batch * c.Heads * c.Sq;
        var q = RoundBf16(Rand(nq));
        var k = RoundBf16(Rand(nk));
        var v = RoundBf16(Rand(nk));
        var dout = RoundBf16(Rand(nq));
        var kvLens = c.KvLens ? new[] { c.Sk, Math.Max(1, c.Sk - 13) } : new[] { c.Sk, c.Sk };
        byte[]? mask = null;
        if (c.KeyMask)
        {
            mask = new byte[c.Batch * c.Sk];
            for (int b = 0; b < c.Batch; b++)
                for (int j = 0; j < c.Sk; j++) mask[b * c.Sk + j] = (byte)((b == 1 && j < 5) || j % 7 == 3 ? 0 : 1);
        }
        var want = AttentionReference.Compute(c, lay, q, k, v, dout, kvLens, mask, geo.Scale);

        using var qd = Bf16(q);
        using var kd = Bf16(k);
        using var vd = Bf16(v);
        using var dod = Bf16(dout);
        using var lensd = I32(kvLens);
        using var maskd = mask is null ? null : DeviceBuffer.FromHost<byte>(_ctx, mask);
        using var od = PoisonedBf16(nq);
        using var lsed = PoisonedF32(rows);
        void Run(string fn, Dim3 grid, uint smem, KernelArgs args) => Launch(FlashAttentionLaunch.Source, fn, grid, FlashAttentionLaunch.Threads, smem, args);
        ulong maskp = maskd?.Pointer ?? 0UL, lensp = c.KvLens ? lensd.Pointer : 0UL;
        if (FlashAttentionLaunch.UsesDecode(c.Sq, c.Heads, c.KvHeads))
        {
            var split = FlashAttentionLaunch.DecodeSplit(c.Batch, c.KvHeads, c.Sk, _ctx.Device.MultiprocessorCount);
            var (outs, lses) = FlashAttentionCalls.DecodeScratch(geo, split.Splits);
            using var op = PoisonedF32(outs);
            using var lp = PoisonedF32(lses);
            FlashAttentionCalls.Decode(Run, geo, lay, split, qd.Pointer, kd.Pointer, vd.Pointer, od.Pointer, lsed.Pointer, lensp, maskp, op.Pointer, lp.Pointer);
        }
        else
            FlashAttentionCalls.Forward(Run, geo, lay, qd.Pointer, kd.Pointer, vd.Pointer, od.Pointer, lsed.Pointer, lensp, maskp);

        using var delta = PoisonedF32(rows);
        using var dq = PoisonedF32(nq);
        using var dk = PoisonedF32(nk);
        using var dv = PoisonedF32(nk);
        FlashAttentionCalls.Backward(Run, geo, lay, _ctx.Device.MultiprocessorCount, qd.Pointer, kd.Pointer, vd.Pointer, od.Pointer, dod.Pointer,
            lsed.Pointer, delta.Pointer, dq.Pointer, dk.Pointer, dv.Pointer, lensp, maskp);

        string tag = $"flash {c.Tag}{(c.Sq == 1 ? " decode" : "")}";
        Record($"{tag} o", ReadBf16(od, nq), want.O, 1e-2);
        Record($"{tag} lse", ReadF32(lsed, rows), want.Lse, 1e-4);
        Record($"{tag} dq", ReadF32(dq, nq), want.Dq, 2e-2);
        Record($"{tag} dk", ReadF32(dk, nk), want.Dk, 2e-2);
        Record($"{tag} dv", ReadF32(dv, nk), want.Dv, 2e-2);
    }
}
