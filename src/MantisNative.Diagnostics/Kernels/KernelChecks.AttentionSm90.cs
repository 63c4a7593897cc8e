using MantisNative.Backends.Cuda;

namespace MantisNative.Diagnostics.Kernels;

// The sm_90a forward (kernels/flash_attention_sm90.cu: TMA, mbarriers, wgmma, warp-specialised) against the CPU
// attention op (the op case's reference and tolerances): every head dim, causal and bidirectional, grouped-query
// heads, per-sequence lengths, a key mask, a causal row that sees no key, lengths that are not tile multiples. Runs where the device
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
        // batch 1's key 0 is masked (flat index 38 % 7 == 3): its causal row 0 sees no key (o = 0, lse = -inf)
        AttentionSm90Forward(64, causal: true, sq: 38, sk: 38, masked: true);
    }

    private void AttentionSm90Forward(int d, bool causal, int sq, int sk, bool masked)
    {
        int batch = 2, heads = 4, kvHeads = 2;
        float scale = 1f / MathF.Sqrt(d);
        var kvLens = new[] { sk, Math.Max(1, sk - 13) };
        // the kernel gets both kv_lens and (masked) a key mask; the CPU op the combined mask
        var pattern = Enumerable.Range(0, batch * sk).Select(i => !masked || i % 7 != 3).ToArray();
        var keyOk = OpCases.KeyLengthMask(sk, kvLens).Zip(pattern, (a, b) => a && b).ToArray();
        string tag = $"attention sm90 d{d} {(causal ? "causal" : "bidir")}{(masked ? " masked" : "")} {sq}x{sk}";
        var c = OpCases.Attention(tag, batch, heads, kvHeads, sq, sk, d, causal, keyOk);
        var (x, r) = Reference(c);
        using var qd = Bf16(Bthd(x[0], batch, heads, sq, d));
        using var kd = Bf16(Bthd(x[1], batch, kvHeads, sk, d));
        using var vd = Bf16(Bthd(x[2], batch, kvHeads, sk, d));
        using var lensd = I32(kvLens);
        using var maskd = DeviceBuffer.FromHost<byte>(_ctx, pattern.Select(ok => ok ? (byte)1 : (byte)0).ToArray());
        long qn = x[0].Length;
        using var od = PoisonedBf16(qn);
        using var lsed = PoisonedF32(batch * heads * sq);
        Launch(FlashAttentionSm90.Module, FlashAttentionSm90.ForwardFunction(d), FlashAttentionSm90.Grid(batch, heads, sq), FlashAttentionSm90.Threads,
            FlashAttentionSm90.SharedBytes(d),
            FlashAttentionSm90.Args(qd.Pointer, kd.Pointer, vd.Pointer, od.Pointer, lsed.Pointer, batch, heads, kvHeads, sq, sk, d, scale, causal,
                lensd.Pointer, masked ? maskd.Pointer : 0UL));
        // o: bf16 output of bf16 P times V (the op case's tolerance); lse: an fp32 statistic
        Record($"{tag} o", ReadBf16(od, (int)qn), Bthd(r.Output, batch, heads, sq, d), c.ForwardTolerance);
        Record($"{tag} lse", ReadF32(lsed, batch * heads * sq), CpuLogSumExp(x, batch, heads, kvHeads, sq, sk, d, causal, scale, keyOk), Tolerances.Fp32Statistic);
    }
}
