using NUnit.Framework;

namespace MantisNative.Tests.Emulator;

/// <summary>The emulated cuBLASLt's epilogues against hand-computed results (kernels/emu/emu_cublaslt_selftest.cpp,
/// one line per check): BIAS added in fp32 before the one rounding, BGRADA/BGRADB as k-sums of op(A)/op(B) written
/// to the bias pointer (with beta = 1 accumulation into an fp32 D), and CUBLAS_STATUS_NOT_SUPPORTED for the
/// combinations cuBLASLt refuses (another bias type than D's, an unsupported epilogue, a bias gradient over a batch).</summary>
[TestFixture, Category("Emulator")]
public class EmulatedCublasLtEpilogueTests
{
    [Test]
    public void EpiloguesMatchTheHandComputedResults()
    {
        var lib = EmulatorHarness.Library();
        var selftest = Path.Combine(Path.GetDirectoryName(lib)!, "emu_cublaslt_selftest");
        var env = EmulatorHarness.Environment();
        env.Remove("MANTIS_DEVICE");
        var (rc, output) = EmulatorHarness.Run(selftest, Array.Empty<string>(), env, 120);
        TestContext.Out.WriteLine(output);
        Assert.That(output, Does.Contain("BGRADB[2] = -1 + 0.5"), "the bias-gradient checks ran");
        Assert.That(output, Does.Not.Match("(?m)^FAIL "), output);
        Assert.That(output, Does.Contain("all checks passed"), output);
        Assert.That(rc, Is.EqualTo(0), output);
    }
}
