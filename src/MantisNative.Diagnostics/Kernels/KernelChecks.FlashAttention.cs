using MantisNative.Autograd;
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

    public AttentionLayout Layout => TokenMajor ? AttentionLayout.TokenMajor : AttentionLayout.HeadMajor;

    /// <summary>Per-sequence key lengths the kernels get: batch 1 is 13 keys short (at least 1) when KvLens.</summary>
    public int[] Lengths()
    {
        var lens = new int[Batch];
        for (int b = 0; b < Batch; b++) lens[b] = KvLens && b == 1 ? Math.Max(1, Sk - 13) : Sk;
        return lens;
    }

    /// <summary>The [B, S] byte mask the kernels get (KeyMask: every 7th key from the 4th, and batch 1's first 5), or null.</summary>
    public byte[]? Mask()
    {
        if (!KeyMask) return null;
        var mask = new byte[Batch * Sk];
        for (int b = 0; b < Batch; b++)
            for (int j = 0; j < Sk; j++) mask[b * Sk + j] = (byte)((b == 1 && j < 5) || j % 7 == 3 ? 0 : 1);
        return mask;
    }

    /// <summary>The [B * S] key validity the CPU op gets: the kernels' lengths and mask combined.</summary>
    public bool[] Valid()
    {
        var lens = Lengths();
        var mask = Mask();
        var valid = new bool[Batch * Sk];
        for (int i = 0; i < valid.Length; i++) valid[i] = i % Sk < lens[i / Sk] && (mask is null || mask[i] != 0);
        return valid;
    }

    /// <summary>The op case: the one attention reference (the CPU op) with its tolerances.</summary>
    public OpCase Op(string name) => OpCases.Attention(name, Batch, Heads, KvHeads, Sq, Sk, D, Causal, Valid(), Layout);
}

// The sm_80 tensor-core attention (kernels/flash_attention_sm80.cu) through the same launch sequence CudaOps uses,
// against the attention op case (OpCases.Attention: the CPU op's output and gradients, with the case's tolerances,
// docs/op-checks.md) and the CPU primitive's log-sum-exp (Tolerances.Fp32Statistic). The kernels get the lengths and
// the mask separately; the op case gets them combined into one key mask.
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
        var geo = new AttentionGeometry(c.Batch, c.Heads, c.KvHeads, c.Sq, c.Sk, c.D, c.Causal, 1f / MathF.Sqrt(c.D), c.TokenMajor);
        var lay = c.TokenMajor ? FlashLayout.TokenMajor(geo) : FlashLayout.HeadMajor(geo);
        int nq = c.Batch * c.Sq * c.Heads * c.D, nk = c.Batch * c.Sk * c.KvHeads * c.D, rows = c.Batch * c.Heads * c.Sq;
        string tag = $"flash {c.Tag}{(c.Sq == 1 ? " decode" : "")}";
        var op = c.Op(tag);
        var (x, r) = Reference(op);
        var kvLens = c.Lengths();
        var mask = c.Mask();

        using var qd = Bf16(x[0]);
        using var kd = Bf16(x[1]);
        using var vd = Bf16(x[2]);
        using var dod = Bf16(r.Seed!);
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
            using var op32 = PoisonedF32(outs);
            using var lp = PoisonedF32(lses);
            FlashAttentionCalls.Decode(Run, geo, lay, split, qd.Pointer, kd.Pointer, vd.Pointer, od.Pointer, lsed.Pointer, lensp, maskp, op32.Pointer, lp.Pointer);
        }
        else
            FlashAttentionCalls.Forward(Run, geo, lay, qd.Pointer, kd.Pointer, vd.Pointer, od.Pointer, lsed.Pointer, lensp, maskp);

        using var delta = PoisonedF32(rows);
        using var dq = PoisonedF32(nq);
        using var dk = PoisonedF32(nk);
        using var dv = PoisonedF32(nk);
        FlashAttentionCalls.Backward(Run, geo, lay, _ctx.Device.MultiprocessorCount, qd.Pointer, kd.Pointer, vd.Pointer, od.Pointer, dod.Pointer,
            lsed.Pointer, delta.Pointer, dq.Pointer, dk.Pointer, dv.Pointer, lensp, maskp);

        Record($"{tag} o", ReadBf16(od, nq), r.Output, op.ForwardTolerance);
        Record($"{tag} lse", ReadF32(lsed, rows), CpuLogSumExp(geo, x, c.Valid()), Tolerances.Fp32Statistic);
        Record($"{tag} dq", ReadF32(dq, nq), r.Grads[0]!, op.BackwardTolerance);
        Record($"{tag} dk", ReadF32(dk, nk), r.Grads[1]!, op.BackwardTolerance);
        Record($"{tag} dv", ReadF32(dv, nk), r.Grads[2]!, op.BackwardTolerance);
    }
}
