using System.Globalization;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace MantisNative.Tests.Emulator;

/// <summary>
/// The one AdamW contract on a device: the CUDA AdamW primitive (through Training.AdamW, fp32 master weights and
/// moments on the device, the fused multi-tensor kernel) on the emulated device against the CPU primitive on the same
/// weights and gradients, three steps with and without weight decay (`gpu-check --only optim`). The CPU side is the
/// contract bit for bit (Training/AdamWTests.CpuStepIsTheContractBitForBit), so this bounds the device against the
/// contract. Tolerance: Diagnostics.Tolerances.Fp32MasterSteps, 1e-5 relative L2 — both sides do fp32 arithmetic;
/// the kernel uses rsqrtf and w - lr wd w (a few ulps per step, compounding over three steps), where a wrong formula
/// (a missing bias correction, decay applied to the gradient) is off by 1e-3 or more. The same run checks the
/// device's global gradient norm primitive (Ops.GradSquaredNorm) against the CPU's, within the fp32-result 1e-5.
/// </summary>
[TestFixture, Category("Emulator")]
public class EmulatedAdamWTests
{
    [TestCase(0)]
    [TestCase(1)]
    public void DeviceAdamWMatchesTheCpuPrimitiveWithinFp32(int seed)
    {
        var (rc, output) = EmulatorHarness.Mantis(new[] { "gpu-check", "--only", "optim", "--no-timings", "--seed", (5 + seed).ToString(CultureInfo.InvariantCulture) }, seed);
        TestContext.Out.WriteLine(output);
        Assert.That(rc, Is.EqualTo(0), output);
        var rows = Regex.Matches(output, @"^(ok|FAIL) +optim +adamw +master (\d) +rel L2 +(\S+) .*tol (\S+)", RegexOptions.Multiline);
        Assert.That(rows.Select(m => m.Groups[2].Value), Is.EquivalentTo(new[] { "0", "1", "2", "3" }), "four tensors checked:\n" + output);
        foreach (Match m in rows)
        {
            Assert.That(m.Groups[1].Value, Is.EqualTo("ok"), m.Value);
            Assert.That(double.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture), Is.EqualTo(1e-5), "the fp32 master-weight tolerance");
            Assert.That(double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), Is.LessThan(1e-5));
        }
        // bf16 and 8-bit moments: the device kernels against the CPU primitive, the same tensors (two under 4096 values,
        // which keep fp32 moments under 8-bit, and two 8-bit ones, one with a partial last block)
        foreach (var tag in new[] { "bf16-states", "8bit-states" })
        {
            var compressed = Regex.Matches(output, $@"^(ok|FAIL) +optim +adamw +{tag} (\d) +rel L2 +(\S+) .*tol (\S+)", RegexOptions.Multiline);
            Assert.That(compressed.Select(m => m.Groups[2].Value), Is.EquivalentTo(new[] { "0", "1", "2", "3" }), $"{tag}:\n" + output);
            foreach (Match m in compressed)
            {
                Assert.That(m.Groups[1].Value, Is.EqualTo("ok"), m.Value);
                Assert.That(double.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture), Is.EqualTo(1e-5), "the fp32 master-weight tolerance");
            }
        }
        Assert.That(output, Does.Not.Contain(" op "), "--only optim runs no op cases");
        // the device's global gradient norm (GradSquaredNorm: bf16 and F32 gradients, deterministic) against the CPU's
        Assert.That(output, Does.Match(@"(?m)^ok +optim +grad_norm +sumsq +rel L2"), output);
    }
}
