using MantisNative.Backends.Cuda;
using MantisNative.Cli;
using MantisNative.Interop;
using MantisNative.IO;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

public class DeviceSelectionTests
{
    private sealed record Probe(string? UnavailableReason, int DeviceCount) : IGpuProbe;

    private static readonly Probe NoDriver = new("no usable CUDA driver: libcuda.so.1 not found\n(searched ...)", 0);
    private static readonly Probe TwoGpus = new(null, 2);

    [Test]
    public void AutoPicksTheGpuOnlyWhenOneIsUsable()
    {
        Assert.That(DeviceSelection.Resolve("auto", NoDriver), Is.EqualTo(Device.Cpu));
        Assert.That(DeviceSelection.Resolve("auto", TwoGpus), Is.EqualTo(Device.Cuda(0)));
        Assert.That(DeviceSelection.Resolve(null, TwoGpus), Is.EqualTo(Device.Cpu), "the default stays the CPU");
        Assert.That(DeviceSelection.Resolve("cuda:1", TwoGpus), Is.EqualTo(Device.Cuda(1)));
    }

    [Test]
    public void AskingForAMissingGpuNamesTheReasonOnOneLine()
    {
        var e = Assert.Throws<MantisException>(() => DeviceSelection.Resolve("cuda", NoDriver))!;
        Assert.That(e.Message, Is.EqualTo("--device cuda: no usable CUDA driver: libcuda.so.1 not found"));
        var e2 = Assert.Throws<MantisException>(() => DeviceSelection.Resolve("cuda:2", TwoGpus))!;
        Assert.That(e2.Message, Does.Contain("CUDA device 2 does not exist (2 visible)"));
        Assert.Throws<MantisException>(() => DeviceSelection.Resolve("metal", TwoGpus));
    }

    private static string Fixture(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", name);

    [Test]
    public void ForwardWithCudaWithoutADriverFailsWithOneLine()
    {
        if (new DriverGpuProbe().UnavailableReason is null) Assert.Ignore("a usable GPU is present here");
        string dir = Fixture("tiny-siglip-llama");
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        int rc;
        try
        {
            rc = CliApp.Run(new[] { "forward", "--model", dir, "--inputs", Path.Combine(dir, "expected.safetensors"),
                "--output", Path.Combine(Path.GetTempPath(), $"mantis-dev-{Guid.NewGuid():N}.safetensors"), "--device", "cuda" });
        }
        finally { Console.SetError(saved); }
        Assert.That(rc, Is.EqualTo(1));
        var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.StartWith("error: --device cuda: "));
    }

    [Test]
    public void ForwardWithAutoRunsOnTheCpuHere()
    {
        if (new DriverGpuProbe().UnavailableReason is null) Assert.Ignore("a usable GPU is present here");
        string dir = Fixture("tiny-clip-llama");
        string output = Path.Combine(Path.GetTempPath(), $"mantis-auto-{Guid.NewGuid():N}.safetensors");
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        try
        {
            int rc = CliApp.Run(new[] { "forward", "--model", dir, "--inputs", Path.Combine(dir, "expected.safetensors"), "--output", output, "--device", "auto" });
            Assert.That(rc, Is.EqualTo(0));
            Assert.That(err.ToString(), Does.StartWith("device: cpu (auto: no usable CUDA driver"));
            using var got = SafetensorsFile.Open(output);
            using var want = SafetensorsFile.Open(Path.Combine(dir, "expected.safetensors"));
            var a = got.ReadFloat32("logits");
            var b = want.ReadFloat32("logits");
            Assert.That(MantisNative.Tests.Ops.GradCheck.RelL2(a, b.Select(x => (double)x).ToArray()), Is.LessThanOrEqualTo(1e-5));
        }
        finally
        {
            Console.SetError(saved);
            File.Delete(output);
        }
    }
}
