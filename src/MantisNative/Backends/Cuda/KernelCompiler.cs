namespace MantisNative.Backends.Cuda;

/// <summary>The outcome for one source and target: ok or the log, plus per-kernel resources.</summary>
internal sealed record KernelSourceReport(
    string Source,
    KernelTarget Target,
    bool Success,
    string Log,
    IReadOnlyList<KernelResourceUsage> Kernels,
    IReadOnlyList<string> Warnings,
    KernelCacheOrigin? Origin)
{
    /// <summary>Compiled, and without a single warning (what CI requires).</summary>
    public bool Clean => Success && Warnings.Count == 0;

    /// <summary>One line: "ok    attention  sm_90a  9 kernels, max 66 regs, no spills (compiled)".</summary>
    public string Summary()
    {
        if (!Success) return $"FAIL  {Source,-14} {Target.Arch,-11}";
        var parts = new List<string>();
        if (Kernels.Count > 0)
        {
            parts.Add($"{Kernels.Count} kernels, max {Kernels.Max(k => k.Registers)} regs");
            var spilling = Kernels.Where(k => k.Spills).ToList();
            parts.Add(spilling.Count == 0 ? "no spills"
                : $"spills in {string.Join(", ", spilling.Select(k => $"{k.Function} ({k.SpillStoreBytes}B st/{k.SpillLoadBytes}B ld)"))}");
        }
        if (Warnings.Count > 0) parts.Add($"{Warnings.Count} warning(s)");
        var tag = Warnings.Count > 0 ? "WARN" : "ok";
        return $"{tag,-5} {Source,-14} {Target.Arch,-11} {string.Join(", ", parts)}{(Origin is { } o ? $" ({o.ToString().ToLowerInvariant()})" : "")}".TrimEnd();
    }
}

/// <summary>
/// Compiles every source of a catalog for a target through the module cache: the code path shared by
/// `mantis kernels compile` and the CI compile test.
/// </summary>
internal sealed class KernelCompiler
{
    public KernelCatalog Catalog { get; }
    public KernelModuleCache Cache { get; }

    public KernelCompiler(KernelCatalog catalog, KernelModuleCache cache)
    {
        Catalog = catalog;
        Cache = cache;
    }

    /// <summary>NVRTC with the default disk cache, over the default kernels folder.</summary>
    public static KernelCompiler CreateDefault(string? kernelsDirectory = null, string? cacheDirectory = null)
    {
        var catalog = kernelsDirectory is null ? KernelCatalog.LoadDefault() : KernelCatalog.Load(kernelsDirectory);
        var cache = new KernelModuleCache(new NvrtcKernelCompiler(), new KernelDiskCache(cacheDirectory ?? KernelDiskCache.DefaultDirectory()));
        return new KernelCompiler(catalog, cache);
    }

    public KernelSourceReport Compile(KernelSource source, KernelTarget target)
    {
        try
        {
            var c = Cache.GetOrCompile(source, Catalog.Headers, target);
            return new KernelSourceReport(source.Name, target, true, c.Log, PtxasInfo.Parse(c.Log), PtxasInfo.Warnings(c.Log), c.Origin);
        }
        catch (KernelCompileException e)
        {
            return new KernelSourceReport(source.Name, target, false, e.Log, Array.Empty<KernelResourceUsage>(), PtxasInfo.Warnings(e.Log), null);
        }
    }

    public IReadOnlyList<KernelSourceReport> CompileAll(KernelTarget target) => Catalog.Sources.Select(s => Compile(s, target)).ToList();

    /// <summary>A per-kernel table (registers, spills, stack, static shared memory) for a set of reports.</summary>
    public static string FormatResourceTable(IEnumerable<KernelSourceReport> reports)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"{"source",-14} {"arch",-10} {"kernel",-36} {"regs",5} {"spill st",9} {"spill ld",9} {"stack",6} {"smem",7}");
        foreach (var r in reports)
            foreach (var k in r.Kernels)
                sb.AppendLine($"{r.Source,-14} {r.Target.Arch,-10} {k.Function,-36} {k.Registers,5} {k.SpillStoreBytes,9} {k.SpillLoadBytes,9} {k.StackFrameBytes,6} {k.SharedBytes,7}");
        return sb.ToString();
    }
}
