using System.Diagnostics;
using NUnit.Framework;

namespace MantisNative.Tests.Emulator;

/// <summary>
/// Builds the emulated GPU device (kernels/emu, with make and the system g++) once per test run and runs the `mantis`
/// CLI against it in a child process (MANTIS_DEVICE=emulated is read once per process, and this process may already
/// hold the real NVRTC of the compile test). Compiled kernels are cached under build/emu, so reruns skip the host
/// compiler. Without g++ or make the tests are skipped, except under CI (MANTIS_REQUIRE_EMULATOR=1), where they fail.
/// </summary>
public static class EmulatorHarness
{
    private static readonly Lazy<(string? Library, string? Why)> Built = new(Build);

    public static string RepoRoot()
    {
        for (var d = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "kernels", "emu", "Makefile"))) return d.FullName;
        Assert.Ignore("kernels/emu not found above the test folder");
        return "";
    }

    public static string KernelsDir => Path.Combine(RepoRoot(), "kernels");
    public static string FixturesDir => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures");

    /// <summary>The built library; skips (or fails under CI) when it cannot be built here.</summary>
    public static string Library()
    {
        var (lib, why) = Built.Value;
        if (lib is not null) return lib;
        if (System.Environment.GetEnvironmentVariable("MANTIS_REQUIRE_EMULATOR") == "1") Assert.Fail($"the emulated device could not be built: {why}");
        Assert.Ignore($"the emulated device could not be built: {why}");
        return "";
    }

    private static (string?, string?) Build()
    {
        var root = RepoRoot();
        var outDir = Path.Combine(root, "build", "emu");
        var (rc, output) = Run("make", new[] { "-s", "-j2", "-C", Path.Combine(root, "kernels", "emu"), $"OUT={outDir}" }, new(), 600);
        var lib = Path.Combine(outDir, "libmantis_emu.so");
        return rc == 0 && File.Exists(lib) ? (lib, null) : (null, $"make exited {rc}: {output.Trim()}");
    }

    /// <summary>`mantis ARGS` on the emulated device with fiber order <paramref name="seed"/>; returns exit code and output.</summary>
    public static (int Rc, string Out) Mantis(IEnumerable<string> args, int seed = 0, int timeoutSeconds = 600)
    {
        var dll = Path.Combine(TestContext.CurrentContext.TestDirectory, "mantis.dll");
        return Run("dotnet", new[] { dll }.Concat(args).ToArray(), Environment(seed), timeoutSeconds);
    }

    /// <summary>The variables that put a `mantis` process on the emulated device (and its kernel caches under build/emu).</summary>
    public static Dictionary<string, string> Environment(int seed = 0)
    {
        var lib = Library();
        var cache = Path.Combine(Path.GetDirectoryName(lib)!, "cache");
        return new Dictionary<string, string>
        {
            ["MANTIS_DEVICE"] = "emulated",
            ["MANTIS_EMU_LIB"] = lib,
            ["MANTIS_EMU_SEED"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MANTIS_EMU_CACHE"] = Path.Combine(cache, "objects"),
            ["MANTIS_KERNEL_CACHE"] = Path.Combine(cache, "modules"),
        };
    }

    public static (int Rc, string Out) Run(string exe, string[] args, Dictionary<string, string> env, int timeoutSeconds)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception ex) { return (-1, $"cannot start {exe}: {ex.Message}"); }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeoutSeconds * 1000))
            {
                p.Kill(entireProcessTree: true);
                return (-1, $"{exe} {string.Join(' ', args)} ran past {timeoutSeconds} s\n{stdout.Result}{stderr.Result}");
            }
            return (p.ExitCode, stdout.Result + stderr.Result);
        }
    }
}
