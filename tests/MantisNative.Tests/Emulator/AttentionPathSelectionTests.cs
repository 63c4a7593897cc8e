using NUnit.Framework;

namespace MantisNative.Tests.Emulator;

/// <summary>
/// Which attention forward runs follows the reported compute capability: 9.0 (the emulator's default, an H100) takes
/// the sm_90a kernel (flash_attention_sm90.cu), MANTIS_EMU_CC=8.0 the portable one, and the op checks pass on both, so
/// CI checks both paths on the emulated device. (The default-capability runs are EmulatedGpuChecksTests'.)
/// </summary>
[TestFixture, Category("Emulator")]
public class AttentionPathSelectionTests
{
    private static (int Rc, string Out) MantisAt(string cc, int seed, params string[] args)
    {
        var env = EmulatorHarness.Environment(seed);
        env["MANTIS_EMU_CC"] = cc;
        var dll = Path.Combine(TestContext.CurrentContext.TestDirectory, "mantis.dll");
        var r = EmulatorHarness.Run("dotnet", new[] { dll }.Concat(args).ToArray(), env, 900);
        TestContext.Out.WriteLine(r.Out);
        return r;
    }

    [Test]
    public void OnSm80TheOpChecksPassThroughThePortableAttention()
    {
        var (rc, output) = MantisAt("8.0", 0, "gpu-check", "--small", "--no-timings", "--seed", "23");
        Assert.That(output, Does.Contain("(sm_80,"), "the device reports sm_80");
        Assert.That(output, Does.Match(@"ok +op +attention bidir d72 +fwd"));
        Assert.That(output, Does.Match(@"ok +op +attention causal cross gqa d96 +fwd"));
        Assert.That(rc, Is.EqualTo(0), output);
    }

    [Test]
    public void OnSm80TheSm90KernelCheckSaysItWasSkipped()
    {
        var (rc, output) = MantisAt("8.0", 0, "kernels", "check", "--group", "attention_sm90");
        Assert.That(rc, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("skipped: needs compute capability 9.0 (sm_90a), the device is sm_80"));
    }
}
