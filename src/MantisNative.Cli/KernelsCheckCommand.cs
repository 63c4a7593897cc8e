using System.Text.Json;
using MantisNative.Backends.Cuda;
using MantisNative.Diagnostics.Kernels;
using MantisNative.Interop;

namespace MantisNative.Cli;

/// <summary>
/// `mantis kernels check [--device N|cuda:N] [--group NAME]... [--output FILE.json (alias --json)]`: runs every kernel on the GPU against the
/// CPU engine on its op case's inputs (Diagnostics.OpCases; outputs poisoned first; tolerances from Diagnostics.Tolerances,
/// docs/op-checks.md) and prints one line per comparison; exit 1 on any
/// failure. For the GPU machine, where only the published binary runs.
/// </summary>
public static class KernelsCheckCommand
{
    /// <summary>--output for the JSON report (README "Command-line flags"); --json is its older spelling.</summary>
    public static readonly CommandFlags Flags = new("kernels check", "run every kernel on the GPU against the CPU engine on its op case's inputs (needs a GPU)",
        new[]
        {
            GpuIndexArg.Option,
            CliOption.Value("group", "NAME", $"check only this group, repeatable (groups: {string.Join(", ", KernelChecks.Groups)}; opt-in: {string.Join(", ", KernelChecks.OptInGroups)})", "every group but the opt-in ones"),
            CliOption.Value("output", "FILE.json", "also write the results as JSON"),
            KernelsCommand.KernelsDirOption,
            KernelsCommand.CacheOption,
        },
        new Dictionary<string, string> { ["json"] = "output" })
    {
        Notes = new[] { "Outputs are poisoned before each run; tolerances from Diagnostics.Tolerances (docs/op-checks.md). One line per comparison; exit 1 on any failure." },
        Examples = new[] { "kernels check --output kernels-check.json", "kernels check --device cuda:1 --group attention" },
    };

    public static int Run(string[] args)
    {
        var a = Flags.Parse(args);
        if (a.Positional.Count > 0) throw new MantisException($"mantis kernels check: unexpected argument '{a.Positional[0]}'");
        if (!CudaDriver.IsAvailable) { Console.Error.WriteLine($"error: no usable CUDA driver: {CudaDriver.UnavailableReason}"); return 1; }
        if (!Nvrtc.IsAvailable) { Console.Error.WriteLine($"error: NVRTC not found: {Nvrtc.UnavailableReason}"); return 1; }
        var groups = a.GetAll("group").ToList();
        foreach (var g in groups)
            if (!KernelChecks.Groups.Contains(g) && !KernelChecks.OptInGroups.Contains(g))
                throw new MantisException($"mantis kernels check: unknown --group '{g}' (known: {string.Join(", ", KernelChecks.Groups.Concat(KernelChecks.OptInGroups))})");
        if (groups.Count == 0) groups = KernelChecks.Groups.ToList();

        using var ctx = CudaContext.Create(GpuIndexArg.Parse(a));
        var catalog = a.Get("kernels") is { } dir ? KernelCatalog.Load(dir) : KernelCatalog.LoadDefault();
        var cache = new KernelModuleCache(new NvrtcKernelCompiler(), new KernelDiskCache(a.Get("cache") ?? KernelDiskCache.DefaultDirectory()));
        using var kernels = new KernelRegistry(ctx, catalog, cache);
        Console.WriteLine($"{ctx.Device}; CUDA driver {CudaDriver.Version}; nvrtc {Nvrtc.Version}; kernels for {kernels.Target}");
        var checks = new KernelChecks(ctx, kernels);
        var results = new List<KernelCheckResult>();
        foreach (var g in groups)
            foreach (var r in checks.Run(g))
            {
                results.Add(r);
                Console.WriteLine(r.Line());
            }
        int failed = results.Count(r => !r.Passed);
        Console.WriteLine(failed == 0 ? $"all {results.Count} checks passed" : $"{failed} of {results.Count} checks FAILED");
        if (a.Get("output") is { } json) WriteJson(json, ctx.Device, results);
        return failed == 0 ? 0 : 1;
    }

    // Written with Utf8JsonWriter (no reflection), so the trimmed single-file binary needs no serializer metadata.
    private static void WriteJson(string path, CudaDeviceInfo device, IReadOnlyList<KernelCheckResult> results)
    {
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("device", device.Name);
        w.WriteString("arch", device.SmArch);
        w.WriteStartArray("checks");
        foreach (var r in results)
        {
            w.WriteStartObject();
            w.WriteString("name", r.Name);
            if (double.IsFinite(r.RelativeL2)) w.WriteNumber("rel_l2", r.RelativeL2); else w.WriteNull("rel_l2");
            w.WriteNumber("tolerance", r.Tolerance);
            w.WriteBoolean("passed", r.Passed);
            if (r.Note is not null) w.WriteString("note", r.Note);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
