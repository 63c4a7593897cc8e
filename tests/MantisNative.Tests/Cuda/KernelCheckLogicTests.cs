using MantisNative.Diagnostics.Kernels;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

/// <summary>The comparison logic of the GPU checks, without a GPU.</summary>
public class KernelCheckLogicTests
{
    [Test]
    public void RelativeL2()
    {
        Assert.That(KernelChecks.RelL2(new[] { 1f, 2f }, new[] { 1.0, 2.0 }), Is.EqualTo(0));
        Assert.That(KernelChecks.RelL2(new[] { 3f, 4f }, new[] { 0.0, 5.0 }), Is.EqualTo(Math.Sqrt(10) / 5).Within(1e-12));   // |(3, -1)| / |(0, 5)|
    }

    [Test]
    public void PoisonAndInfinitiesAreHandled()
    {
        Assert.That(KernelChecks.RelL2(new[] { 1f, float.NaN }, new[] { 1.0, 2.0 }), Is.EqualTo(double.PositiveInfinity));
        Assert.That(KernelChecks.RelL2(new[] { 1f, float.NegativeInfinity }, new[] { 1.0, double.NegativeInfinity }), Is.EqualTo(0));
        Assert.That(KernelChecks.RelL2(new[] { 1f, 0f }, new[] { 1.0, double.NegativeInfinity }), Is.EqualTo(double.PositiveInfinity));
        Assert.That(KernelChecks.RelL2(new[] { 1f }, new[] { 1.0, 2.0 }), Is.EqualTo(double.PositiveInfinity));
    }

    [Test]
    public void ResultLines()
    {
        Assert.That(new KernelCheckResult("rmsnorm_forward", 1e-3, 1e-2, true).Line(), Does.StartWith("ok    rmsnorm_forward"));
        Assert.That(new KernelCheckResult("x", 1, 1e-2, false).Line(), Does.StartWith("FAIL"));
        var skip = new KernelCheckResult("cublasLt linear", double.NaN, 0, true, "no cuBLASLt");
        Assert.That(skip.Skipped, Is.True);
        Assert.That(skip.Line(), Does.StartWith("skip"));
    }

    [Test]
    public void GroupsCoverEveryKernelFamily() =>
        Assert.That(KernelChecks.Groups, Is.SupersetOf(new[]
        {
            "cast", "elementwise", "rmsnorm", "layernorm", "rope", "swiglu+gelu", "softmax", "embedding", "patch_embed",
            "cross_entropy", "attention", "adamw", "grad_norm", "cublaslt",
        }));
}
