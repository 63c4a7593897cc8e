using System.Diagnostics;
using MantisNative.Backends.Cpu;

namespace MantisNative.Bench;

/// <summary>
/// `gemm-tune [--threads T] [--kc A,B,..] [--mc ..] [--nc ..] [shape filter...]`: sweeps the cache block sizes (KC, MC, NC) on the chosen
/// shapes. Configurations are timed round-robin several times and each keeps its best time, since a
/// shared, noisy machine only ever makes a run slower.
/// </summary>
internal static class GemmTune
{
    public static int Run(string[] args)
    {
        int threads = CpuParallel.Threads;
        var filter = new List<string>();
        int[] kcs = { 192, 256, 320, 384, 512 }, mcs = { 96, 192, 384 }, ncs = { 2048, 4096 };
        static int[] List(string v) => v.Split(',').Select(int.Parse).ToArray();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--threads") threads = int.Parse(args[++i]);
            else if (args[i] == "--kc") kcs = List(args[++i]);
            else if (args[i] == "--mc") mcs = List(args[++i]);
            else if (args[i] == "--nc") ncs = List(args[++i]);
            else filter.Add(args[i]);
        }
        CpuParallel.Threads = threads;
        var family = GemmFamily.Active;
        var defaults = (family.KCMax, family.MCMax, family.NCMax);
        Console.WriteLine($"kernel family {family} (derived from L1d {CpuCaches.L1Data >> 10} KB, L2 {CpuCaches.L2 >> 10} KB)");
        var configs = (from kc in kcs
                       from mc in mcs
                       from nc in ncs
                       select (kc, mc, nc)).Prepend((kc: defaults.KCMax, mc: defaults.MCMax, nc: defaults.NCMax)).Distinct().ToArray();
        foreach (var s in GemmShape.All.Where(s => filter.Count == 0 || filter.Any(f => s.Name.Contains(f))))
        {
            using var ops = new GemmOperands(s);
            var best = new double[configs.Length];
            Array.Fill(best, double.MaxValue);
            for (int round = 0; round < 4; round++)
                for (int c = 0; c < configs.Length; c++)
                {
                    (family.KCMax, family.MCMax, family.NCMax) = configs[c];
                    ops.RunOurs();
                    // One thread: its own CPU time (immune to being descheduled); several: wall time.
                    double t0 = threads == 1 ? CpuClock.Thread() : 0;
                    var sw = Stopwatch.StartNew();
                    ops.RunOurs();
                    double t = threads == 1 ? CpuClock.Thread() - t0 : sw.Elapsed.TotalSeconds;
                    best[c] = Math.Min(best[c], t);
                }
            Console.WriteLine($"{s.Name} ({threads} threads):");
            foreach (var c in Enumerable.Range(0, configs.Length).OrderBy(c => best[c]).Take(12))
                Console.WriteLine($"  KC={configs[c].kc,4} MC={configs[c].mc,4} NC={configs[c].nc,5}: {s.Flops / best[c] / 1e9,7:F1} GFLOP/s");
            Console.WriteLine($"  default KC={defaults.KCMax} MC={defaults.MCMax} NC={defaults.NCMax}: {s.Flops / best[0] / 1e9,7:F1} GFLOP/s");
        }
        (family.KCMax, family.MCMax, family.NCMax) = defaults;
        return 0;
    }
}
