using MantisNative.Backends;
using MantisNative.Backends.Cuda;
using MantisNative.Interop;

namespace MantisNative.Diagnostics.Kernels;

// Timings of the sm_80 attention kernels (the dev harness's timing step, kernels/dev/attention/README.md): opt-in
// group "attention_bench" (`mantis kernels check --group attention_bench`), never part of the default run. CUDA
// events around each launch sequence, 3 warm-up runs, the median of 10. FLOPs as FlashAttention counts them:
// forward 4 B H T S D (half of it causal), backward 2.5x the forward (its five matmuls; this backward runs seven,
// the dQ pass recomputing S and dP, so its hardware rate is 1.4x the figure). Decode: K and V bytes read per
// second against a device-to-device copy of the same bytes. On the emulated device the shapes shrink to a smoke
// test (its times mean nothing).
internal sealed partial class KernelChecks
{
    /// <summary>Groups that run only when named with --group (timings, not checks).</summary>
    public static readonly IReadOnlyList<string> OptInGroups = new[] { "attention_bench" };

    private bool Emulated => _ctx.Device.Name.Contains("emulated", StringComparison.OrdinalIgnoreCase);

    private float MedianMs(Action work)
    {
        int warmup = Emulated ? 1 : 3, reps = Emulated ? 3 : 10;   // the emulator's smoke test only checks the step runs
        for (int i = 0; i < warmup; i++) work();
        _ctx.Synchronize();
        var times = new float[reps];
        using var start = new CudaEvent();
        using var end = new CudaEvent();
        for (int i = 0; i < reps; i++)
        {
            start.Record(_ctx.Stream);
            work();
            end.Record(_ctx.Stream);
            end.Synchronize();
            times[i] = CudaEvent.ElapsedMilliseconds(start, end);
        }
        Array.Sort(times);
        return times[reps / 2];
    }

    private void Timing(string what, string figures) => _results.Add(new KernelCheckResult(what, 0, 0, true, figures));

    private void AttentionBench()
    {
        if (!FlashAttentionLaunch.RunsOn(_ctx.Device)) { Skip("attention bench", $"{_ctx.Device.SmArch} is below sm_80"); return; }
        bool emulated = Emulated;
        int[] lengths = emulated ? new[] { 64 } : new[] { 512, 1024, 2048, 4096, 8192, 16384 };
        int totalTokens = emulated ? 64 : 16384;
        foreach (int d in new[] { 64, 72, 128 })
            foreach (bool causal in new[] { false, true })
                foreach (int t in lengths)
                    BenchPrefill(d, causal, Math.Max(1, totalTokens / t), (emulated ? 128 : 2048) / d, t);
        // SigLIP-so400m: 729 patches, 16 heads of 72, a batch of images
        if (!emulated) BenchPrefill(72, false, 32, 16, 729);
        foreach (int s in emulated ? new[] { 256 } : new[] { 4096, 16384, 65536 })
            BenchDecode(128, emulated ? 1 : 4, 32, 8, s);
    }

    private void BenchPrefill(int d, bool causal, int batch, int heads, int t)
    {
        heads = Math.Max(heads, 1);
        var geo = new AttentionGeometry(batch, heads, heads, t, t, d, causal, 1f / MathF.Sqrt(d));
        var lay = FlashLayout.TokenMajor(geo);
        long n = (long)batch * t * heads * d, rows = (long)batch * heads * t;
        using var q = _ctx.Allocate(n * 2);
        using var k = _ctx.Allocate(n * 2);
        using var v = _ctx.Allocate(n * 2);
        using var o = _ctx.Allocate(n * 2);
        using var dout = _ctx.Allocate(n * 2);
        using var lse = _ctx.Allocate(rows * 4);
        using var delta = _ctx.Allocate(rows * 4);
        using var dq = _ctx.Allocate(n * 4);
        using var dk = _ctx.Allocate(n * 4);
        using var dv = _ctx.Allocate(n * 4);
        foreach (var b in new[] { q, k, v, dout }) b.Fill32(0x3C003C00u);   // bf16 pairs of 0.0078: finite, no overflow
        void Run(string fn, Dim3 grid, uint smem, KernelArgs args) =>
            KernelLauncher.Launch(_kernels.Get(FlashAttentionLaunch.Source, fn), grid, FlashAttentionLaunch.Threads, smem, _ctx.Stream, args);
        float fwd = MedianMs(() => FlashAttentionCalls.Forward(Run, geo, lay, q.Pointer, k.Pointer, v.Pointer, o.Pointer, lse.Pointer, 0, 0));
        float bwd = MedianMs(() => FlashAttentionCalls.Backward(Run, geo, lay, _ctx.Device.MultiprocessorCount, q.Pointer, k.Pointer, v.Pointer,
            o.Pointer, dout.Pointer, lse.Pointer, delta.Pointer, dq.Pointer, dk.Pointer, dv.Pointer, 0, 0));
        double flops = 4.0 * batch * heads * t * (double)t * d * (causal ? 0.5 : 1);
        Timing($"bench d{d} {(causal ? "causal" : "bidir")} b{batch} h{heads} T{t}",
            $"fwd {fwd:F3} ms {flops / fwd / 1e9:F1} TFLOP/s, bwd {bwd:F3} ms {2.5 * flops / bwd / 1e9:F1} TFLOP/s");
    }

    private void BenchDecode(int d, int batch, int heads, int kvHeads, int s)
    {
        var geo = new AttentionGeometry(batch, heads, kvHeads, 1, s, d, true, 1f / MathF.Sqrt(d));
        var lay = FlashLayout.TokenMajor(geo);
        long nq = (long)batch * heads * d, nk = (long)batch * s * kvHeads * d;
        var split = FlashAttentionLaunch.DecodeSplit(batch, kvHeads, s, _ctx.Device.MultiprocessorCount);
        var (outs, lses) = FlashAttentionCalls.DecodeScratch(geo, split.Splits);
        using var q = _ctx.Allocate(nq * 2);
        using var k = _ctx.Allocate(nk * 2);
        using var v = _ctx.Allocate(nk * 2);
        using var o = _ctx.Allocate(nq * 2);
        using var lse = _ctx.Allocate(batch * heads * 4);
        using var op = _ctx.Allocate(outs * 4);
        using var lp = _ctx.Allocate(lses * 4);
        using var copy = _ctx.Allocate(2 * nk * 2);
        using var kv = _ctx.Allocate(2 * nk * 2);
        foreach (var b in new[] { q, k, v, kv }) b.Fill32(0x3C003C00u);
        void Run(string fn, Dim3 grid, uint smem, KernelArgs args) =>
            KernelLauncher.Launch(_kernels.Get(FlashAttentionLaunch.Source, fn), grid, FlashAttentionLaunch.Threads, smem, _ctx.Stream, args);
        float ms = MedianMs(() => FlashAttentionCalls.Decode(Run, geo, lay, split, q.Pointer, k.Pointer, v.Pointer, o.Pointer, lse.Pointer, 0, 0, op.Pointer, lp.Pointer));
        float copyMs = MedianMs(() => copy.CopyFrom(kv, 2 * nk * 2));
        double bytes = 2.0 * nk * 2;
        // a copy reads and writes its bytes: its bandwidth counts both
        Timing($"bench decode d{d} b{batch} h{heads}/{kvHeads} S{s} splits {split.Splits}",
            $"{ms:F4} ms {bytes / ms / 1e6:F0} GB/s K+V read, copy {2 * bytes / copyMs / 1e6:F0} GB/s ({bytes / ms / (2 * bytes / copyMs) * 100:F0} % of it)");
    }
}
