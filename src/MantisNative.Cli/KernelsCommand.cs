using MantisNative.Backends.Cuda;
using MantisNative.Interop;

namespace MantisNative.Cli;

/// <summary>
/// `mantis kernels compile [--arch compute_XX|sm_XX]... [--kernels DIR] [--cache DIR] [--table]`: compiles every
/// kernel source with the NVRTC found (filling the module cache) and prints one line per source and target;
/// exit 1 on any failure. Without --arch: the GPU's own architecture when a GPU is present, else what CI
/// checks (compute_80 PTX and sm_90a CUBIN). Same code path as the CI compile test (KernelCompiler).
/// </summary>
public static class KernelsCommand
{
    public const string Summary = "compile every CUDA kernel with NVRTC (kernels compile), or check each on the GPU (kernels check)";

    public static readonly CliOption KernelsDirOption = CliOption.Value("kernels", "DIR", "the kernel sources", $"${KernelCatalog.EnvironmentVariable}, else a kernels/ folder beside the program, the current folder or above them");
    public static readonly CliOption CacheOption = CliOption.Value("cache", "DIR", "compiled-module cache folder", $"${KernelDiskCache.EnvironmentVariable}, else ~/.cache/mantis/kernels");

    public static readonly CommandFlags CompileFlags = new("kernels compile", "compile every CUDA kernel source with the NVRTC found, filling the module cache; one line per source and target",
        new[]
        {
            CliOption.Value("arch", "compute_XX|sm_XX", "target, repeatable: PTX (compute_XX) or CUBIN (sm_XX)", "the GPU's own, else what CI checks: compute_80 and sm_90a"),
            KernelsDirOption,
            CacheOption,
            CliOption.Switch("table", "also print each kernel's registers, shared memory and spills"),
        })
    {
        Notes = new[] { "Exit 1 when any compilation fails. The same code path as the CI compile test (KernelCompiler)." },
        Examples = new[] { "kernels compile", "kernels compile --arch compute_80 --arch sm_90a --table" },
    };

    /// <summary>`mantis kernels` alone or with --help: the two subcommands' usage lines, from their tables.</summary>
    private static void PrintOverview()
    {
        Console.WriteLine($"usage: mantis {CommandHelp.DerivedUsage(CompileFlags)}");
        Console.WriteLine($"       mantis {CommandHelp.DerivedUsage(KernelsCheckCommand.Flags)}");
        Console.WriteLine();
        Console.WriteLine($"  compile  {CompileFlags.Summary}");
        Console.WriteLine($"  check    {KernelsCheckCommand.Flags.Summary}");
        Console.WriteLine();
        Console.WriteLine("mantis kernels compile --help and mantis kernels check --help list their options.");
    }

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            PrintOverview();
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] == "check") return KernelsCheckCommand.Run(args[1..]);
        if (args[0] != "compile")
            throw new MantisException($"mantis kernels: unknown subcommand '{args[0]}' (known: compile, check)");
        var a = CompileFlags.Parse(args[1..]);
        if (a.Positional.Count > 0) throw new MantisException($"mantis kernels compile: unexpected argument '{a.Positional[0]}'");

        if (!Nvrtc.IsAvailable)
        {
            Console.Error.WriteLine($"error: NVRTC not found: {Nvrtc.UnavailableReason}");
            Console.Error.WriteLine("       set MANTIS_NVRTC_PATH to the folder holding libnvrtc.so.12 (kernels/fetch-nvrtc.sh fetches one)");
            return 1;
        }
        var targets = a.GetAll("arch").Select(KernelTarget.Parse).ToList();
        if (targets.Count == 0) targets = DefaultTargets();

        var compiler = KernelCompiler.CreateDefault(a.Get("kernels"), a.Get("cache"));
        Console.WriteLine($"{compiler.Cache.Compiler.Identity} ({Nvrtc.Library.LoadedFrom}); kernels {compiler.Catalog.Directory}; cache {compiler.Cache.Disk?.Directory}");
        var reports = new List<KernelSourceReport>();
        foreach (var t in targets)
        {
            foreach (var source in compiler.Catalog.Sources)
            {
                var r = compiler.Compile(source, t);
                reports.Add(r);
                Console.WriteLine(r.Summary());
                if (!r.Success || r.Warnings.Count > 0)
                    foreach (var line in (r.Success ? string.Join('\n', r.Warnings) : r.Log).TrimEnd().Split('\n'))
                        Console.WriteLine($"      {line}");
            }
        }
        if (a.Flag("table")) Console.Write(KernelCompiler.FormatResourceTable(reports));
        int failed = reports.Count(r => !r.Success);
        Console.WriteLine(failed == 0
            ? $"{reports.Count} compilations ok"
            : $"{failed} of {reports.Count} compilations failed");
        return failed == 0 ? 0 : 1;
    }

    private static List<KernelTarget> DefaultTargets()
    {
        try
        {
            if (CudaDriver.IsAvailable && CudaDevice.Count > 0)
            {
                var d = CudaDevice.GetInfo(0);
                return new List<KernelTarget> { KernelTarget.ForDevice(d.ComputeMajor, d.ComputeMinor, Nvrtc.SupportedArchs()) };
            }
        }
        catch (CudaException) { /* no usable GPU: fall back to the CI targets */ }
        return KernelTarget.CiTargets.ToList();
    }
}
