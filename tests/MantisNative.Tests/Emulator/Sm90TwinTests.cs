using NUnit.Framework;

namespace MantisNative.Tests.Emulator;

/// <summary>
/// The sm_90 twins (kernels/emu/twins_sm90.h) against layouts worked out by hand from the PTX ISA
/// (kernels/emu/emu_sm90_selftest.cpp: wgmma D fragments, descriptors without swizzle and with the 128-byte swizzle,
/// K-major and MN-major, register A; TMA with swizzle and out-of-bounds zero fill; mbarrier phases between a producer
/// and a spinning consumer; wgmma asynchrony), the errors a misuse ends with, and MANTIS_EMU_CC.
/// </summary>
[TestFixture, Category("Emulator")]
public class Sm90TwinTests
{
    private static (int Rc, string Out) Selftest(int seed, string? mode = null, string? cc = null)
    {
        var lib = EmulatorHarness.Library();
        var exe = Path.Combine(Path.GetDirectoryName(lib)!, "emu_sm90_selftest");
        var env = EmulatorHarness.Environment(seed);
        env.Remove("MANTIS_DEVICE");
        if (cc is not null) env["MANTIS_EMU_CC"] = cc;
        var args = mode is null ? new[] { EmulatorHarness.KernelsDir } : new[] { EmulatorHarness.KernelsDir, mode };
        var r = EmulatorHarness.Run(exe, args, env, 300);
        TestContext.Out.WriteLine(r.Out);
        return r;
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(31)]
    public void TwinsMatchTheIsaLayouts(int seed)
    {
        var (rc, output) = Selftest(seed);
        Assert.That(output, Does.Contain("all checks passed"), output);
        Assert.That(output, Does.Contain("ok    wgmma m64n64k16 x2, K-major, 128B swizzle"));
        Assert.That(output, Does.Contain("ok    mbarrier phases"));
        Assert.That(rc, Is.EqualTo(0), output);
    }

    [Test]
    public void AWaitNobodyCanEndIsAnErrorNamingKernelBlockAndThread()
    {
        var (rc, output) = Selftest(0, "deadlock");
        Assert.That(rc, Is.EqualTo(0), "the launch returned CUDA_ERROR_LAUNCH_FAILED instead of hanging:\n" + output);
        Assert.That(output, Does.Match(@"kernel deadlock block \(0,0,0\) thread \(\d+,0,0\): mbarrier\.try_wait\.parity \(parity 0\) on the mbarrier at shared address 0x0 never completes"));
    }

    [TestCase("nofence", @"kernel no_fence block \(0,0,0\) thread \(\d+,0,0\): wgmma\.mma_async without a wgmma\.fence")]
    [TestCase("badnreg", @"kernel bad_nreg block \(0,0,0\) thread \(\d+,0,0\): setmaxnreg\.inc: register count 100 is not a multiple of 8 in 24\.\.256")]
    public void MisuseIsAnError(string mode, string message)
    {
        var (rc, output) = Selftest(0, mode);
        Assert.That(rc, Is.EqualTo(0), output);
        Assert.That(output, Does.Match(message));
    }

    [TestCase(null, "capability 9.0")]
    [TestCase("8.0", "capability 8.0")]
    public void TheReportedCapabilityFollowsMantisEmuCc(string? cc, string expected)
    {
        var (_, output) = Selftest(0, "capability-only", cc);
        Assert.That(output, Does.Contain(expected));
    }

    [Test]
    public void AMalformedCapabilityIsRefusedByName()
    {
        var (rc, output) = Selftest(0, "capability-only", "nine");
        Assert.That(rc, Is.Not.EqualTo(0));
        Assert.That(output, Does.Contain("MANTIS_EMU_CC='nine' is not a compute capability"));
    }
}
