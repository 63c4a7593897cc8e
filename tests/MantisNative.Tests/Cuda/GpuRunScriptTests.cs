using System.Diagnostics;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

/// <summary>bench/gpu/run.sh's logic without a GPU: syntax, dry run, missing tools skipped, failures counted, summary last.</summary>
public class GpuRunScriptTests
{
    private string _dir = null!;

    private static string Script()
    {
        for (var d = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "bench", "gpu", "run.sh");
            if (File.Exists(p)) return p;
        }
        Assert.Ignore("bench/gpu/run.sh not found above the test folder");
        return "";
    }

    [SetUp]
    public void SetUp()
    {
        if (!File.Exists("/bin/bash")) Assert.Ignore("no bash here");
        _dir = Path.Combine(Path.GetTempPath(), $"mantis-runsh-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private (int Rc, string Out) Bash(string args, Dictionary<string, string> env)
    {
        var psi = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args.Split(' ', StringSplitOptions.RemoveEmptyEntries)) psi.ArgumentList.Add(a);
        psi.Environment["SITE_ROOTS"] = _dir;   // the library search looks at the test's folder, not the whole disk
        foreach (var v in new[] { "MANTIS_NVRTC_PATH", "MANTIS_CUBLASLT", "MANTIS_CUDA_DRIVER", "MANTIS_DEVICE" })
            psi.Environment.Remove(v);          // set ones win over the search (build.ps1 test sets MANTIS_NVRTC_PATH)
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.That(p.WaitForExit(60_000), Is.True, "run.sh hung");
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>A stand-in for the published binary: prints a gpu-check table; kernels check fails when told to.</summary>
    private string StubMantis(bool kernelsFail)
    {
        var path = Path.Combine(_dir, "mantis");
        File.WriteAllText(path, "#!/bin/bash\n" +
            "case \"$1\" in\n" +
            "  info) echo 'mantis stub info' ;;\n" +
            $"  kernels) echo 'kernels check'; {(kernelsFail ? "exit 1" : "exit 0")} ;;\n" +
            "  gpu-check) echo 'progress line'; echo '== gpu-check: stub target (seed 1)'; echo 'linear  ok'; echo 'all 2 checks passed' ;;\n" +
            "esac\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(Path.Combine(_dir, "fixtures"));
        return path;
    }

    [Test]
    public void SyntaxIsValid()
    {
        var (rc, output) = Bash($"-n {Script()}", new());
        Assert.That(rc, Is.EqualTo(0), output);
    }

    [Test]
    public void DryRunTouchesNothingAndListsEveryStep()
    {
        var outDir = Path.Combine(_dir, "out");
        var (rc, output) = Bash($"{Script()} --dry-run", new() { ["OUT"] = outDir, ["MANTIS"] = StubMantis(false), ["FIXTURES"] = Path.Combine(_dir, "fixtures") });
        Assert.That(rc, Is.EqualTo(0), output);
        foreach (var s in new[] { "machine", "info", "kernels-check", "gpu-check" })
            Assert.That(output, Does.Contain($"== {s}:"), s);
        Assert.That(File.Exists(Path.Combine(outDir, "gpu-check.log")), Is.False, "nothing ran");
        Assert.That(File.ReadAllText(Path.Combine(outDir, "steps.tsv")), Does.Contain("gpu-check\tdry-run"));
    }

    [Test]
    public void MissingToolsAreSkippedAndTheTableComesLast()
    {
        var outDir = Path.Combine(_dir, "out");
        var (rc, output) = Bash(Script(), new()
        {
            ["OUT"] = outDir, ["MANTIS"] = StubMantis(false), ["FIXTURES"] = Path.Combine(_dir, "fixtures"),
            ["PYTHON"] = "/nonexistent/python3",
        });
        Assert.That(rc, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("== torch-peer: skipped (/nonexistent/python3 not found)"));
        var lines = output.TrimEnd().Split('\n');
        Assert.That(lines[^1], Is.EqualTo("all 2 checks passed"));
        Assert.That(output.IndexOf("== summary", StringComparison.Ordinal), Is.LessThan(output.LastIndexOf("== gpu-check: stub", StringComparison.Ordinal)));
        Assert.That(File.ReadAllText(Path.Combine(outDir, "summary.txt")), Does.Contain("gpu-check      ok"));
        Assert.That(TarListing(outDir), Does.Contain("logs/kernels-check.log"));
        Assert.That(Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName).Order(),
            Is.EqualTo(new[] { "results.tar.gz", "steps.tsv", "summary.txt" }), "at most 8 files come back from the GPU machine");
    }

    [Test]
    public void AFailingStepFailsTheRunButNotTheOthers()
    {
        var outDir = Path.Combine(_dir, "out");
        var (rc, output) = Bash(Script(), new()
        {
            ["OUT"] = outDir, ["MANTIS"] = StubMantis(true), ["FIXTURES"] = Path.Combine(_dir, "fixtures"), ["PYTHON"] = "/nonexistent/python3",
        });
        Assert.That(rc, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("kernels-check  FAIL(1)"));
        Assert.That(TarListing(outDir), Does.Contain("logs/gpu-check.log"), "gpu-check still ran");
    }

    private static string TarListing(string outDir)
    {
        var psi = new ProcessStartInfo("tar") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "tzf", Path.Combine(outDir, "results.tar.gz") }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var listing = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.EqualTo(0), listing);
        return listing;
    }

    [Test]
    public void CudaLibrariesOfAnInactiveVenvAreFoundWithoutVariables()
    {
        var lib = Path.Combine(_dir, "venv", "lib", "python3.12", "site-packages", "nvidia");
        foreach (var (pkg, file) in new[] { ("cuda_nvrtc", "libnvrtc.so.13"), ("cuda_nvrtc", "libnvrtc.so.12"), ("cublas", "libcublasLt.so.13") })
        {
            Directory.CreateDirectory(Path.Combine(lib, pkg, "lib"));
            File.WriteAllText(Path.Combine(lib, pkg, "lib", file), "");
        }
        var (rc, output) = Bash($"{Script()} --dry-run", new() { ["OUT"] = Path.Combine(_dir, "out"), ["MANTIS"] = StubMantis(false), ["PYTHON"] = "/nonexistent/python3" });
        Assert.That(rc, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain($"MANTIS_NVRTC_PATH={Path.Combine(lib, "cuda_nvrtc", "lib", "libnvrtc.so.13")}"), "CUDA 13 first");
        Assert.That(output, Does.Contain($"MANTIS_CUBLASLT={Path.Combine(lib, "cublas", "lib", "libcublasLt.so.13")}"));
    }

    [Test]
    public void AHungStepTimesOutAndTheOthersStillRun()
    {
        var mantis = StubMantis(false);
        File.WriteAllText(mantis, File.ReadAllText(mantis).Replace("kernels) echo 'kernels check';", "kernels) sleep 30;"));
        var outDir = Path.Combine(_dir, "out");
        var (rc, output) = Bash(Script(), new()
        {
            ["OUT"] = outDir, ["MANTIS"] = mantis, ["FIXTURES"] = Path.Combine(_dir, "fixtures"), ["PYTHON"] = "/nonexistent/python3", ["STEP_TIMEOUT"] = "2",
        });
        Assert.That(rc, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("kernels-check  TIMEOUT(2s)"));
        Assert.That(output, Does.Contain("gpu-check      ok"));
    }

    [Test]
    public void TheExecutableBitLostInTheCopyIsRestored()
    {
        var mantis = StubMantis(false);
        File.SetUnixFileMode(mantis, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var (rc, output) = Bash(Script(), new()
        {
            ["OUT"] = Path.Combine(_dir, "out"), ["MANTIS"] = mantis, ["FIXTURES"] = Path.Combine(_dir, "fixtures"), ["PYTHON"] = "/nonexistent/python3",
        });
        Assert.That(rc, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("set the executable bit"));
        Assert.That(File.GetUnixFileMode(mantis).HasFlag(UnixFileMode.UserExecute), Is.True);
    }
}
