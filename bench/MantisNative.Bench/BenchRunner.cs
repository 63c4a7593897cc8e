using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace MantisNative.Bench;

/// <summary>
/// BenchmarkDotNet entry: in-process toolchain (no generated projects, works in a published binary without
/// an SDK), and a non-zero exit when any benchmark failed to run, since BDN itself exits 0 then.
/// </summary>
internal static class BenchRunner
{
    public static int Run(string[] args)
    {
        var job = Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance);
        var config = DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(BenchRunner).Assembly).Run(args, config).ToArray();
        int failed = 0;
        foreach (var summary in summaries)
            foreach (var report in summary.Reports)
                if (!report.Success || report.ResultStatistics is null)
                {
                    failed++;
                    Console.Error.WriteLine($"benchmark failed: {report.BenchmarkCase.DisplayInfo}");
                }
        bool listing = args.Any(a => a.StartsWith("--list") || a is "--help" or "-h" or "--version");
        if (!listing && summaries.All(s => s.Reports.Length == 0))
        {
            Console.Error.WriteLine("no benchmark ran (check --filter)");
            return 1;
        }
        return failed == 0 ? 0 : 1;
    }
}
