using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MantisNative.Bench;

/// <summary>
/// Measured fp32 FMA throughput: each thread runs 16 independent FMA chains in registers (enough to cover
/// FMA latency x pipes), all threads at once. This is the ceiling a GEMM kernel can reach on this machine at
/// the clock it actually runs, which may differ from the nominal one.
/// </summary>
internal static class FmaPeak
{
    public static double MeasureGflops(int threads, bool wide512, double seconds = 0.3)
    {
        var results = new double[threads];
        using var start = new Barrier(threads);
        var ts = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            results[t] = wide512 && Avx512F.IsSupported ? Run512(seconds) : Run256(seconds);
        })).ToArray();
        foreach (var t in ts) t.Start();
        foreach (var t in ts) t.Join();
        return results.Sum();
    }

    // The timed loop calls Stopwatch between batches; the FMA chains live in a call-free method so the JIT
    // keeps them in registers (vector registers are caller-saved, a call in the loop would spill them).
    private static double Run512(double seconds) => Timed(seconds, Chains512, 16 * 16 * 2);
    private static double Run256(double seconds) => Timed(seconds, Chains256, 12 * 8 * 2);

    private static double Timed(double seconds, Func<int, float> chains, int flopsPerIter)
    {
        const int inner = 1 << 18;
        long iters = 0;
        float sink = 0;
        chains(1024);
        // Per-thread CPU time, not wall time: a neighbour process that takes the core away must not lower
        // the peak (that would flatter every "% of peak" computed from it).
        double t0 = CpuClock.Thread();
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds) { sink += chains(inner); iters += inner; }
        double secs = CpuClock.Thread() - t0;
        if (sink == 12345f) Console.Write("");
        return iters * (double)flopsPerIter / secs / 1e9;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains512(int n)
    {
        var x = Vector512.Create(0.9999999f); var y = Vector512.Create(1e-7f);
        Vector512<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x,
            a8 = x, a9 = x, a10 = x, a11 = x, a12 = x, a13 = x, a14 = x, a15 = x;
        for (int i = 0; i < n; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, x, y); a1 = Avx512F.FusedMultiplyAdd(a1, x, y);
            a2 = Avx512F.FusedMultiplyAdd(a2, x, y); a3 = Avx512F.FusedMultiplyAdd(a3, x, y);
            a4 = Avx512F.FusedMultiplyAdd(a4, x, y); a5 = Avx512F.FusedMultiplyAdd(a5, x, y);
            a6 = Avx512F.FusedMultiplyAdd(a6, x, y); a7 = Avx512F.FusedMultiplyAdd(a7, x, y);
            a8 = Avx512F.FusedMultiplyAdd(a8, x, y); a9 = Avx512F.FusedMultiplyAdd(a9, x, y);
            a10 = Avx512F.FusedMultiplyAdd(a10, x, y); a11 = Avx512F.FusedMultiplyAdd(a11, x, y);
            a12 = Avx512F.FusedMultiplyAdd(a12, x, y); a13 = Avx512F.FusedMultiplyAdd(a13, x, y);
            a14 = Avx512F.FusedMultiplyAdd(a14, x, y); a15 = Avx512F.FusedMultiplyAdd(a15, x, y);
        }
        var s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11 + a12 + a13 + a14 + a15;
        return s[0];
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains256(int n)
    {
        var x = Vector256.Create(0.9999999f); var y = Vector256.Create(1e-7f);
        Vector256<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x,
            a8 = x, a9 = x, a10 = x, a11 = x;
        for (int i = 0; i < n; i++)
        {
            a0 = Fma.MultiplyAdd(a0, x, y); a1 = Fma.MultiplyAdd(a1, x, y); a2 = Fma.MultiplyAdd(a2, x, y);
            a3 = Fma.MultiplyAdd(a3, x, y); a4 = Fma.MultiplyAdd(a4, x, y); a5 = Fma.MultiplyAdd(a5, x, y);
            a6 = Fma.MultiplyAdd(a6, x, y); a7 = Fma.MultiplyAdd(a7, x, y); a8 = Fma.MultiplyAdd(a8, x, y);
            a9 = Fma.MultiplyAdd(a9, x, y); a10 = Fma.MultiplyAdd(a10, x, y); a11 = Fma.MultiplyAdd(a11, x, y);
        }
        var s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
        return s[0];
    }
}
