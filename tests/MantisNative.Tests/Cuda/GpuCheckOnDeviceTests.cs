using MantisNative.Backends.Cuda;
using MantisNative.Diagnostics;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

/// <summary>The whole device op list and the fixtures on a real GPU (ignored where there is none).</summary>
public class GpuCheckOnDeviceTests
{
    [Test]
    public void EveryOpAndTheFixturesMatchTheCpu()
    {
        if (new DriverGpuProbe().UnavailableReason is { } why) Assert.Ignore(why);
        using var target = new CudaCheckTarget(Device.Cuda(0));
        var report = GpuCheck.Run(target, new GpuCheckOptions
        {
            LargeShapes = false,
            Timings = false,
            FixturesDir = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures"),
        }, TestContext.Out);
        TestContext.Out.WriteLine(GpuCheckTable.Render(report));
        Assert.That(report.Passed, Is.True, GpuCheckTable.Render(report));
    }
}
