using MantisNative.Backends;
using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

// The sm_90a forward (kernels/flash_attention_sm90.cu: TMA, mbarriers, wgmma, warp-specialised) against the CPU
// attention op (the op case's reference and tolerances, the CPU primitive's log-sum-exp): every head dim, causal
// (bottom-right) and bidirectional, grouped-query heads, per-sequence lengths, a key mask, a causal row that sees no
// key, lengths that are not tile multiples, and both layouts read in place through the tensor maps' strides
// (token-major [B, T, H, D] as the models call it, head-major [B, H, T, D]). Runs where the device reports compute
// capability 9.0 (an H100, or the emulated device); elsewhere the group says it was skipped.
internal sealed partial class KernelChecks
{
    /// <summary>The variants `kernels check --group attention_sm90` runs.</summary>
    public static readonly IReadOnlyList<AttentionCase> Sm90Cases = new AttentionCase[]
    {
        new(64, true, 37, 37),
        new(72, false, 33, 70, KeyMask: true),
        new(80, false, 5, 37, TokenMajor: false),
        new(96, true, 50, 70, Heads: 6, KvHeads: 2),          // causal cross attention, bottom-right aligned
        new(128, true, 130, 130, KeyMask: true),                // more than one 128-row block, keys past a 64-key tile
        new(128, false, 65, 65, Heads: 4, KvHeads: 4, TokenMajor: false, KvLens: false),
        // batch 1's first 5 keys are masked: its causal rows 0..4 see no key (o = 0, lse = -inf)
        new(64, true, 38, 38, KeyMask: true, TokenMajor: false),
        new(72, true, 29, 29, Heads: 8, KvHeads: 1, KvLens: false),
    };

    private void AttentionSm90Forwards()
    {
        if (_ctx.Device.ComputeMajor != 9 || _ctx.Device.ComputeMinor != 0)
        {
            Skip("attention sm90", $"skipped: needs compute capability 9.0 (sm_90a), the device is {_ctx.Device.SmArch}");
            return;
        }
        foreach (var c in Sm90Cases) AttentionSm90Forward(c);
    }

    private void AttentionSm90Forward(AttentionCase c)
    {
        var geo = new AttentionGeometry(c.Batch, c.Heads, c.KvHeads, c.Sq, c.Sk, c.D, c.Causal, 1f / MathF.Sqrt(c.D), c.TokenMajor);
        var lay = c.TokenMajor ? FlashLayout.TokenMajor(geo) : FlashLayout.HeadMajor(geo);
        string tag = $"attention sm90 {c.Tag}";
        var op = c.Op(tag);
        var (x, r) = Reference(op);
        var mask = c.Mask();
        using var qd = Bf16(x[0]);
        using var kd = Bf16(x[1]);
        using var vd = Bf16(x[2]);
        using var lensd = I32(c.Lengths());
        using var maskd = mask is null ? null : DeviceBuffer.FromHost<byte>(_ctx, mask);
        int qn = x[0].Length, rows = c.Batch * c.Heads * c.Sq;
        using var od = PoisonedBf16(qn);
        using var lsed = PoisonedF32(rows);
        Launch(FlashAttentionSm90.Module, FlashAttentionSm90.ForwardFunction(c.D), FlashAttentionSm90.Grid(c.Batch, c.Heads, c.Sq), FlashAttentionSm90.Threads,
            FlashAttentionSm90.SharedBytes(c.D),
            FlashAttentionSm90.Args(geo, lay, qd.Pointer, kd.Pointer, vd.Pointer, od.Pointer, lsed.Pointer, c.KvLens ? lensd.Pointer : 0UL, maskd?.Pointer ?? 0UL));
        // o: bf16 output of bf16 P times V (the op case's tolerance); lse: an fp32 statistic
        Record($"{tag} o", ReadBf16(od, qn), r.Output, op.ForwardTolerance);
        Record($"{tag} lse", ReadF32(lsed, rows), CpuLogSumExp(geo, x, c.Valid()), Tolerances.Fp32Statistic);
    }
}
