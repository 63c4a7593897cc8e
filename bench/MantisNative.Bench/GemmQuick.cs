using System.Diagnostics;
using MantisNative.Backends.Cpu;

namespace MantisNative.Bench;

/// <summary>
/// `gemm-quick`: a Stopwatch side-by-side of our SGEMM and OpenBLAS on the same operands, thread count and
/// run, plus the measured FMA peak. Warm-up, then the median of N timed calls (each call repeated until it
/// lasts >= 20 ms so tiny shapes are not timer noise).
/// </summary>
internal static class GemmQuick
{
    public static int Run(string[] args)
    {
        int threads = CpuParallel.Threads;
        int reps = 7;
        var filter = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--threads") threads = int.Parse(args[++i]);
            else if (args[i] == "--reps") reps = int.Parse(args[++i]);
            else filter.Add(args[i]);
        }
        CpuParallel.Threads = threads;
        bool blas = OpenBlas.Available();
        if (blas) OpenBlas.openblas_set_num_threads(threads);

        Console.WriteLine($"threads: {threads}   OpenBLAS: {(blas ? OpenBlas.Describe() : "not found (apt-get install libopenblas0-pthread)")}");
        double peak512 = FmaPeak.MeasureGflops(threads, true), peak256 = FmaPeak.MeasureGflops(threads, false);
        double peak = Math.Max(peak512, peak256);
        Console.WriteLine($"measured FMA peak, {threads} thread(s): {peak512:F1} GFLOP/s (zmm), {peak256:F1} GFLOP/s (ymm)");
        Console.WriteLine();
        Console.WriteLine($"| shape | M | K | N | B^T | ours GFLOP/s | OpenBLAS GFLOP/s | ours/OpenBLAS | ours % of peak |");
        Console.WriteLine($"|---|---:|---:|---:|:-:|---:|---:|---:|---:|");
        foreach (var s in GemmShape.All)
        {
            if (filter.Count > 0 && !filter.Any(f => s.Name.Contains(f, StringComparison.OrdinalIgnoreCase))) continue;
            using var ops = new GemmOperands(s);
            // Interleave the two so a noisy neighbour hurts both alike.
            double ours = 0, theirs = double.NaN;
            var oursT = new List<double>(); var theirsT = new List<double>();
            int inner = Calibrate(ops.RunOurs);
            if (blas) ops.RunOpenBlas();
            for (int r = 0; r < reps; r++)
            {
                oursT.Add(Time(ops.RunOurs, inner));
                if (blas) theirsT.Add(Time(ops.RunOpenBlas, inner));
            }
            ours = s.Flops / Median(oursT) / 1e9;
            if (blas) theirs = s.Flops / Median(theirsT) / 1e9;
            Console.WriteLine($"| {s.Name} | {s.M} | {s.K} | {s.N} | {(s.TransB ? "yes" : "no")} | {ours:F1} | {theirs:F1} | {ours / theirs:F2} | {100 * ours / peak:F0} % |");
        }
        return 0;
    }

    private static int Calibrate(Action f)
    {
        f(); f();
        var sw = Stopwatch.StartNew();
        f();
        double t = sw.Elapsed.TotalSeconds;
        return Math.Max(1, (int)Math.Ceiling(0.02 / Math.Max(t, 1e-7)));
    }

    private static double Time(Action f, int inner)
    {
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < inner; i++) f();
        return sw.Elapsed.TotalSeconds / inner;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}
