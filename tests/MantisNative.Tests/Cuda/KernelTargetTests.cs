using MantisNative.Backends.Cuda;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

public class KernelTargetTests
{
    [TestCase("compute_80", false)]
    [TestCase("sm_90a", true)]
    [TestCase("sm_100", true)]
    [TestCase(" sm_86 ", true)]
    public void ParsesArchitectures(string arch, bool cubin) => Assert.That(KernelTarget.Parse(arch).IsCubin, Is.EqualTo(cubin));

    [TestCase("sm90")]
    [TestCase("compute_8")]
    [TestCase("-arch=sm_90")]
    [TestCase("")]
    public void RejectsGarbage(string arch)
    {
        var e = Assert.Throws<MantisException>(() => KernelTarget.Parse(arch))!;
        Assert.That(e.Message, Does.Contain("compute_XX or sm_XX"));
    }

    [Test]
    public void OptionsNameTheArchAndAskPtxasForResources()
    {
        Assert.That(new KernelTarget("sm_90a").CompilerOptions(true), Is.EqualTo(new[] { "-std=c++17", "-arch=sm_90a", "--ptxas-options=-v" }));
        Assert.That(new KernelTarget("compute_80").CompilerOptions(true), Is.EqualTo(new[] { "-std=c++17", "-arch=compute_80" }));
    }

    [Test]
    public void DeviceTargetFallsBackToPtxForUnknownGenerations()
    {
        var known = new[] { 75, 80, 86, 89, 90 };
        Assert.That(KernelTarget.ForDevice(9, 0, known).Arch, Is.EqualTo("sm_90a"), "Hopper gets its arch-specific target explicitly");
        Assert.That(KernelTarget.ForDevice(10, 0, known).Arch, Is.EqualTo("compute_90"));
        Assert.That(KernelTarget.ForDevice(8, 6, Array.Empty<int>()).Arch, Is.EqualTo("sm_86"));
    }
}
