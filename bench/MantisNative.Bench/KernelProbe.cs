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
        int MR = GemmMicroKernel.MR, NR = GemmMicroKernel.NR;
        int panels = 8; // A panels reused against one B panel, as in the macro-kernel
        float* a = (float*)NativeMemory.AlignedAlloc((nuint)(MR * kc * panels * 4), 64);
        float* b = (float*)NativeMemory.AlignedAlloc((nuint)(NR * kc * 4), 64);
        float* c = (float*)NativeMemory.AlignedAlloc((nuint)(MR * panels * NR * 4), 64);
        for (int i = 0; i < MR * kc * panels; i++) a[i] = 0.001f * (i % 7);
        for (int i = 0; i < NR * kc; i++) b[i] = 0.001f * (i % 5);
        double peak = FmaPeak.MeasureGflops(1, true);
        for (int rep = 0; rep < 5; rep++)
        {
            long calls = 0;
            var sw = Stopwatch.StartNew();
            while (sw.ElapsedMilliseconds < 300)
            {
                for (int r = 0; r < 100; r++)
                    for (int p = 0; p < panels; p++)
                        GemmMicroKernel.Tile(kc, a + p * MR * kc, b, c + p * MR * NR, NR, 1f, 1f, MR, NR);
                calls += 100 * panels;
            }
            double g = calls * 2.0 * MR * NR * kc / sw.Elapsed.TotalSeconds / 1e9;
            Console.WriteLine($"kernel {MR}x{NR} kc={kc}: {g:F1} GFLOP/s = {100 * g / peak:F0} % of measured 1-thread peak {peak:F1}");
        }
        return 0;
    }
}
