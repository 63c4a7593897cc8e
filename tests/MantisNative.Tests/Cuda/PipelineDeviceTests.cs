using MantisNative.Inference;
using MantisNative.Interop;
using MantisNative.Tensors;
using MantisNative.Tests.Inference;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

public class PipelineDeviceTests
{
    [Test]
    public void APipelineOnAGpuWithoutADriverFailsAtLoadWithTheReason()
    {
        if (CudaDriver.IsAvailable) Assert.Ignore("a CUDA driver is present here");
        var e = Assert.Throws<CudaException>(() =>
            MantisPipeline.Load(TinyModelFolder.Shared.ModelDir, new MantisPipelineOptions { Device = Device.Cuda(0) }))!;
        Assert.That(e.Message, Does.StartWith("CUDA is not available"));
    }

    [Test]
    public void TheDefaultDeviceIsTheCpu() => Assert.That(new MantisPipelineOptions().Device, Is.EqualTo(Device.Cpu));
}
