using System.Diagnostics;
using System.Runtime.InteropServices;
using MantisNative.Backends.Cpu;

namespace MantisNative.Bench;

/// <summary>`gemm-kernel`: the micro-kernel alone on cache-resident packed panels (one thread), vs the FMA peak.</summary>
internal static unsafe class KernelProbe
{
    public static int Run(string[] args)
    {
        int kc = args.Length > 0 ? int.Parse(args[0]) : 256;
        var f = GemmFamily.Active;
        int MR = f.MR, NR = f.NR;
        int panels = 8; // A panels reused against one B panel, as in the macro-kernel
        float* a = (float*)NativeMemory.AlignedAlloc((nuint)(MR * kc * panels * 4), 64);
        float* b = (float*)NativeMemory.AlignedAlloc((nuint)(NR * kc * 4), 64);
        float* c = (float*)NativeMemory.AlignedAlloc((nuint)(MR * panels * NR * 4), 64);
        for (int i = 0; i < MR * kc * panels; i++) a[i] = 0.001f * (i % 7);
        for (int i = 0; i < NR * kc; i++) b[i] = 0.001f * (i % 5);
        double peak = FmaPeak.MeasureGflops(1, f.Isa == CpuIsa.Avx512);
        for (int rep = 0; rep < 5; rep++)
        {
            long calls = 0;
            double t0 = CpuClock.Thread();
            var sw = Stopwatch.StartNew();
            while (sw.ElapsedMilliseconds < 300)
            {
                for (int r = 0; r < 100; r++)
                    for (int p = 0; p < panels; p++)
                        GemmMicroKernel.Tile(f, kc, a + p * MR * kc, b, c + p * MR * NR, NR, 1f, 1f, MR, NR);
                calls += 100 * panels;
            }
            double g = calls * 2.0 * MR * NR * kc / (CpuClock.Thread() - t0) / 1e9; // thread CPU time
            Console.WriteLine($"kernel {MR}x{NR} kc={kc}: {g:F1} GFLOP/s = {100 * g / peak:F0} % of measured 1-thread peak {peak:F1}");
        }
        PackProbe();
        return 0;
    }

    /// <summary>Packing throughput (elements per ns of thread CPU time) for a 1024 x 1024 operand, cache-cold source.</summary>
    private static void PackProbe()
    {
        var f = GemmFamily.Active;
        int n = 2048, kc = 256;
        float* src = (float*)NativeMemory.AlignedAlloc((nuint)(n * n * 4), 64);
        float* dst = (float*)NativeMemory.AlignedAlloc((nuint)(n * kc * 4 + 4096), 64);
        for (int i = 0; i < n * n; i++) src[i] = i;
        foreach (bool trans in new[] { false, true })
        {
            double best = 0, bestB = 0;
            for (int rep = 0; rep < 5; rep++)
            {
                double t0 = CpuClock.Thread();
                for (int pc = 0; pc < n; pc += kc) GemmPacking.PackA(f, trans, src, n, 0, n, pc, kc, dst);
                double t1 = CpuClock.Thread();
                for (int pc = 0; pc < n; pc += kc) GemmPacking.PackB(f, trans, src, n, pc, kc, 0, n, 0, n / f.NR, dst);
                double t2 = CpuClock.Thread();
                best = Math.Max(best, (double)n * n / (t1 - t0) / 1e9);
                bestB = Math.Max(bestB, (double)n * n / (t2 - t1) / 1e9);
            }
            Console.WriteLine($"pack A (transA={trans}): {best:F2} elem/ns   pack B (transB={trans}): {bestB:F2} elem/ns");
        }
    }
}
