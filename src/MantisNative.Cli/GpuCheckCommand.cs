using MantisNative.Backends.Cuda;
using MantisNative.Diagnostics;
using MantisNative.Tensors;

namespace MantisNative.Cli;

/// <summary>
/// `mantis gpu-check [--target cuda|cpu|cpu-bf16] [--device N|cuda:N] [--fixtures DIR] [--output FILE.json (alias --json)] [--seed N] [--small]
/// [--runs N] [--no-timings] [--only ops,optim,fixtures]`: every op against the CPU op (forward and backward, outputs poisoned), the fixture
/// models, then timings; prints one table last and exits 1 on any failure. --target cpu runs the same logic with the
/// CPU on both sides (cpu-bf16 imitates bf16 rounding), for machines without a GPU.
/// </summary>
public static class GpuCheckCommand
{
    private const int DefaultRuns = 20;

    /// <summary>The JSON report is what the command writes, so --output (README "Command-line flags"); --json is its older spelling.</summary>
    public static readonly CommandFlags Flags = new("gpu-check", "check every op and the fixture models on the GPU against the CPU, with timings",
        new[]
        {
            CliOption.Value("target", "cuda|cpu|cpu-bf16", "what is checked against the CPU op: the GPU, or the CPU itself (cpu-bf16 imitates bf16 rounding), for machines without a GPU", "cuda"),
            GpuIndexArg.Option,
            CliOption.Value("fixtures", "DIR", "folder of transformers fixtures (tiny-*-llama) to check whole models on (without it: no model checks)"),
            CliOption.Value("output", "FILE.json", "also write the report as JSON"),
            CliOption.Value("seed", "N", "seed of the random inputs", "a fresh one, printed on the first line"),
            CliOption.Value("runs", "N", "timed runs per op", CliOption.Show(DefaultRuns)),
            CliOption.Value("only", "SECTIONS", $"comma-separated subset of {string.Join(",", GpuCheck.Sections)}", "all"),
            CliOption.Switch("small", "small shapes only (quick)"),
            CliOption.Switch("no-timings", "check correctness only, no timings"),
        },
        new Dictionary<string, string> { ["json"] = "output" })
    {
        Notes = new[] { "Every op against the CPU op (forward and backward, outputs poisoned), then the fixture models, then timings; one table last. Exit 1 on any failure." },
        Examples = new[] { "gpu-check --fixtures fixtures --output gpu-check.json", "gpu-check --target cpu --small --no-timings" },
    };

    public static int Run(string[] args)
    {
        var a = Flags.Parse(args);
        if (a.Positional.Count > 0) throw new MantisException($"mantis gpu-check: unexpected argument '{a.Positional[0]}'");
        string kind = a.Get("target") ?? "cuda";
        int gpu = GpuIndexArg.Parse(a); // checked whatever the target, so a bad --device is never silently ignored
        if (a.Get("fixtures") is { } fx && !Directory.Exists(fx)) throw new MantisException($"mantis gpu-check: --fixtures {fx} does not exist");
        if (a.Get("output") is { } json) OutputPath.EnsureWritable(json);
        var options = new GpuCheckOptions
        {
            Seed = a.Has("seed") ? a.GetInt("seed", 0) : Environment.TickCount & 0x7fffffff,
            LargeShapes = !a.Flag("small"),
            Timings = !a.Flag("no-timings"),
            Runs = a.GetInt("runs", DefaultRuns),
            FixturesDir = a.Get("fixtures"),
            Sections = Sections(a.Get("only")),
        };
        using ICheckTarget target = kind switch
        {
            "cuda" => new CudaCheckTarget(DeviceSelection.Resolve($"cuda:{gpu}", new DriverGpuProbe())),
            "cpu" => new CpuCheckTarget(roundToBf16: false),
            "cpu-bf16" => new CpuCheckTarget(roundToBf16: true),
            _ => throw new MantisException($"mantis gpu-check: --target must be cuda, cpu or cpu-bf16, got '{kind}'"),
        };
        var report = GpuCheck.Run(target, options, Console.Out);
        if (a.Get("output") is { } path)
        {
            GpuCheckJson.Write(report, path);
            Console.WriteLine($"wrote {path}");
        }
        Console.Write(GpuCheckTable.Render(report));
        return report.Passed ? 0 : 1;
    }

    /// <summary>--only: a comma-separated subset of <see cref="GpuCheck.Sections"/> (all when absent).</summary>
    private static IReadOnlySet<string> Sections(string? only)
    {
        if (only is null) return GpuCheck.Sections.ToHashSet();
        var names = only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        foreach (var n in names)
            if (!GpuCheck.Sections.Contains(n))
                throw new MantisException($"mantis gpu-check: --only '{n}' is not a section (known: {string.Join(", ", GpuCheck.Sections)})");
        return names.Count > 0 ? names : throw new MantisException("mantis gpu-check: --only names no section");
    }
}
