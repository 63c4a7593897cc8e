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
        // "% of peak" is against the peak of the path that runs: the ymm one when the AVX2 kernels are forced.
        var family = GemmFamily.Active;
        double peak = family.Isa == CpuIsa.Avx512 ? Math.Max(peak512, peak256) : peak256;
        Console.WriteLine($"ours: {family} (MANTIS_CPU_ISA={Environment.GetEnvironmentVariable("MANTIS_CPU_ISA") ?? "unset"}; " +
            $"L1d {CpuCaches.L1Data >> 10} KB, L2 {CpuCaches.L2 >> 10} KB); the % of peak columns use the {(family.Isa == CpuIsa.Avx512 ? "zmm" : "ymm")} peak");
        Console.WriteLine($"measured FMA peak, {threads} thread(s) at once, per-thread CPU time: {peak512:F1} GFLOP/s (zmm), {peak256:F1} GFLOP/s (ymm)");
        Console.WriteLine($"  = {peak512 / threads / 64:F2} GHz x 64 FLOP/cycle (2 x 512-bit FMA) x {threads} core(s) if 512-bit FMAs are full-width; " +
            $"{peak256 / threads / 32:F2} GHz x 32 FLOP/cycle (2 x 256-bit FMA) from the ymm run");
        Console.WriteLine();
        Console.WriteLine("wall = Stopwatch (what a user sees; includes time the neighbours took the cores).");
        Console.WriteLine("cpu = GFLOP per CPU-second of this process (per-core efficiency, immune to neighbours taking the cores;");
        Console.WriteLine("      spin-waits count against both), and that as % of ONE core's measured peak.");
        Console.WriteLine();
        Console.WriteLine("| shape | M | K | N | B^T | ours wall | OpenBLAS wall | ratio | ours % peak | ours cpu | OpenBLAS cpu | ratio (cpu) | ours % core peak (cpu) |");
        Console.WriteLine("|---|---:|---:|---:|:-:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in GemmShape.All)
        {
            if (filter.Count > 0 && !filter.Any(f => s.Name.Contains(f, StringComparison.OrdinalIgnoreCase))) continue;
            using var ops = new GemmOperands(s);
            var oursT = new List<(double Wall, double Cpu)>(); var theirsT = new List<(double Wall, double Cpu)>();
            int inner = Calibrate(ops.RunOurs);
            if (blas) { ops.RunOpenBlas(); ops.RunOpenBlas(); }
            // Interleave the two so a noisy neighbour hurts both alike.
            for (int r = 0; r < reps; r++)
            {
                oursT.Add(Time(ops.RunOurs, inner));
                if (blas) theirsT.Add(Time(ops.RunOpenBlas, inner));
            }
            double ow = s.Flops / Median(oursT.Select(t => t.Wall)) / 1e9, oc = s.Flops / Median(oursT.Select(t => t.Cpu)) / 1e9;
            double tw = blas ? s.Flops / Median(theirsT.Select(t => t.Wall)) / 1e9 : double.NaN;
            double tc = blas ? s.Flops / Median(theirsT.Select(t => t.Cpu)) / 1e9 : double.NaN;
            Console.WriteLine($"| {s.Name} | {s.M} | {s.K} | {s.N} | {(s.TransB ? "yes" : "no")}{(s.Batch > 1 ? $" (x{s.Batch})" : "")} " +
                $"| {ow:F1} | {tw:F1} | {ow / tw:F2} | {100 * ow / peak:F0} % | {oc:F1} | {tc:F1} | {oc / tc:F2} | {100 * oc / (peak / threads):F0} % |");
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

    private static (double Wall, double Cpu) Time(Action f, int inner)
    {
        double c0 = CpuClock.Process();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < inner; i++) f();
        double wall = sw.Elapsed.TotalSeconds;
        return (wall / inner, (CpuClock.Process() - c0) / inner);
    }

    private static double Median(IEnumerable<double> values)
    {
        var xs = values.ToList();
        var s = xs.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}
