using NUnit.Framework;

namespace MantisNative.Tests.Emulator;

/// <summary>bench/gpu/run.sh end to end against the emulated device: every step runs for real (info, kernels check,
/// gpu-check with the fixture models), the results come back as summary + steps + one tarball.</summary>
[TestFixture, Category("Emulator")]
public class EmulatedRunScriptTests
{
    [Test]
    public void RunShRunsEveryCheckOnTheEmulatedDevice()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"mantis-runsh-emu-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var script = Path.Combine(EmulatorHarness.RepoRoot(), "bench", "gpu", "run.sh");
            var mantis = Path.Combine(dir, "mantis");
            File.WriteAllText(mantis, $"#!/bin/bash\nexec dotnet \"{Path.Combine(TestContext.CurrentContext.TestDirectory, "mantis.dll")}\" \"$@\"\n");
            File.SetUnixFileMode(mantis, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var outDir = Path.Combine(dir, "out");
            var env = EmulatorHarness.Environment(seed: 2);
            env["OUT"] = outDir;
            env["MANTIS"] = mantis;
            env["FIXTURES"] = EmulatorHarness.FixturesDir;
            env["PYTHON"] = "/nonexistent/python3";
            env["SITE_ROOTS"] = dir;
            env["GPU_CHECK_ARGS"] = "--small --no-timings --seed 21";
            var (rc, output) = EmulatorHarness.Run("/bin/bash", new[] { script }, env, 900);
            TestContext.Out.WriteLine(output);
            var summary = File.ReadAllText(Path.Combine(outDir, "summary.txt"));
            Assert.That(summary, Does.Contain("info           ok"));
            Assert.That(summary, Does.Contain("kernels-check  ok"));
            Assert.That(summary, Does.Contain("== gpu-check: cuda:0 #0 Mantis emulated GPU"), "gpu-check's table is in the summary");
            Assert.That(summary, Does.Contain("gpu-check      ok"));
            Assert.That(rc, Is.EqualTo(0), output);
            Assert.That(Directory.GetFileSystemEntries(outDir).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "results.tar.gz", "steps.tsv", "summary.txt" }));
            var (trc, listing) = EmulatorHarness.Run("tar", new[] { "tzf", Path.Combine(outDir, "results.tar.gz") }, new(), 60);
            Assert.That(trc, Is.EqualTo(0), listing);
            foreach (var f in new[] { "logs/kernels-check.json", "logs/gpu-check.json", "logs/gpu-check.log", "logs/machine.log", "logs/steps.tsv" })
                Assert.That(listing, Does.Contain(f));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
