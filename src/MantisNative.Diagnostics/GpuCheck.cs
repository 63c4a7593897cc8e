namespace MantisNative.Diagnostics;

/// <summary>What a gpu-check run does.</summary>
internal sealed record GpuCheckOptions
{
    public int Seed { get; init; } = Environment.TickCount & 0x7fffffff;
    public bool LargeShapes { get; init; } = true;
    public bool Timings { get; init; } = true;
    public int Warmup { get; init; } = 3;
    public int Runs { get; init; } = 20;
    public int GemmSize { get; init; } = 4096;
    public string? FixturesDir { get; init; }

    /// <summary>The sections that run (<see cref="GpuCheck.Sections"/>); all by default.</summary>
    public IReadOnlySet<string> Sections { get; init; } = GpuCheck.Sections.ToHashSet();

    /// <summary>Cases added to the standard list (tests plant a wrong op here).</summary>
    public IReadOnlyList<OpCase> ExtraCases { get; init; } = Array.Empty<OpCase>();
}

/// <summary>
/// `mantis gpu-check`: (a) every op on fresh random inputs against the CPU op, forward and backward; (b) the tiny
/// fixture models forward, backward and generation against transformers' numbers; (c) timings next to the copy
/// bandwidth and GEMM rate measured in the same run. Progress goes to <c>log</c> as it happens; the table is
/// written last by <see cref="GpuCheckTable"/>.
/// </summary>
internal static class GpuCheck
{
    /// <summary>What `--only` may name: the op cases, the optimizer check, the fixture models.</summary>
    public static readonly IReadOnlyList<string> Sections = new[] { "ops", "optim", "fixtures" };

    public static GpuCheckReport Run(ICheckTarget target, GpuCheckOptions options, TextWriter log)
    {
        var report = new GpuCheckReport { Target = target.Description, Seed = options.Seed };
        log.WriteLine($"gpu-check on {target.Description}, seed {options.Seed}");
        var runner = new OpCheckRunner(target, options.Seed);
        var cases = options.Sections.Contains("ops")
            ? OpCases.Create(new Random(options.Seed), options.LargeShapes).Concat(options.ExtraCases).ToList()
            : new List<OpCase>();
        foreach (var c in cases)
        {
            var rows = runner.Check(c);
            report.Checks.AddRange(rows);
            foreach (var r in rows) log.WriteLine(GpuCheckTable.Line(r));
        }
        foreach (var r in options.Sections.Contains("optim") ? OptimizerCheck.Run(target, new Random(options.Seed + 1)) : Array.Empty<CheckRow>())
        {
            report.Checks.Add(r);
            log.WriteLine(GpuCheckTable.Line(r));
        }
        if (options.FixturesDir is { } dir && options.Sections.Contains("fixtures"))
            foreach (var folder in FixtureCheck.Find(dir))
            {
                var rows = FixtureCheck.Run(target, folder);
                report.Checks.AddRange(rows);
                foreach (var r in rows) log.WriteLine(GpuCheckTable.Line(r));
            }
        if (options.Timings)
        {
            report.CopyGBs = target.CopyBandwidthGBs();
            report.GemmSize = options.GemmSize;
            report.GemmTflops = target.GemmTflops(options.GemmSize);
            foreach (var c in cases)
            {
                // a case that failed with an exception is not timed (it would throw again)
                if (report.Checks.Any(r => r.Name == c.Name && r.Note?.StartsWith("error:", StringComparison.Ordinal) == true)) continue;
                try { report.Timings.Add(runner.Time(c, options.Warmup, options.Runs)); }
                catch (Exception e) when (e is not OutOfMemoryException) { log.WriteLine($"timing {c.Name}: {e.Message.Split('\n')[0]}"); }
            }
        }
        return report;
    }
}
