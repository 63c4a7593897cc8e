using NUnit.Framework;

namespace MantisNative.Tests.Emulator;

/// <summary>
/// The page-locked staging contract (issue 12 item 4): a step's small uploads go through a page-locked ring without a
/// host wait (Backends/Cuda/PinnedStagingRing), which is only right if the ring rewrites its bytes after the copies
/// that read them ran. The emulated device defers such copies to their stream's ordering point and reports a host
/// rewrite before then; these tests show both halves: the emulator catches a rewrite in flight, and the ring, driven
/// through thousands of uploads with wraps and a growth, never trips that check and delivers every byte.
/// </summary>
[TestFixture, Category("Emulator")]
public class EmulatedStagingTests
{
    [Test]
    public void TheEmulatorReportsAHostRewriteOfAPinnedSourceInFlight()
    {
        var lib = EmulatorHarness.Library();
        var selftest = Path.Combine(Path.GetDirectoryName(lib)!, "emu_selftest");
        var env = EmulatorHarness.Environment();
        env.Remove("MANTIS_DEVICE");
        var (rc, output) = EmulatorHarness.Run(selftest, new[] { "pinned-reuse" }, env, 120);
        TestContext.Out.WriteLine(output);
        Assert.That(output, Does.Contain("ok    100 rewrites each after the previous copy's event: no error"), output);
        Assert.That(output, Does.Contain("ok    the rewrite is reported at the copy's ordering point -> LAUNCH_FAILED"), output);
        Assert.That(output, Does.Contain("the host rewrote its source (first at byte 100) before the copy ran"), "the message names the copy and the byte");
        Assert.That(output, Does.Contain("all checks passed"), output);
        Assert.That(rc, Is.EqualTo(0), output);
    }

    [TestCase(0)]
    [TestCase(1)]
    public void TheStagingRingNeverRewritesBytesInFlight(int seed)
    {
        var (rc, output) = EmulatorHarness.Mantis(new[] { "kernels", "check", "--group", "staging" }, seed);
        TestContext.Out.WriteLine(output);
        Assert.That(output, Does.Not.Contain("rewrote its source"), output);
        foreach (var line in new[] { "3000 uploads arrive intact", "it wrapped and waited", "it grew for the large upload", "all staged" })
            Assert.That(output, Does.Match(@"ok +staging ring: " + System.Text.RegularExpressions.Regex.Escape(line)), line);
        Assert.That(rc, Is.EqualTo(0), output);
    }
}
