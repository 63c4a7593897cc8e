using MantisNative.Backends.Cuda;
using MantisNative.Interop;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

public class CudaAvailabilityTests
{
    [Test]
    public void MissingDriverIsReportedCleanly()
    {
        if (CudaDriver.Library.Found) Assert.Ignore($"a CUDA driver is present here ({CudaDriver.Library.LoadedFrom})");
        Assert.That(CudaDriver.IsAvailable, Is.False);
        Assert.That(CudaDriver.UnavailableReason, Does.Contain("libcuda.so.1"));
        var e = Assert.Throws<CudaException>(() => CudaDriver.EnsureAvailable())!;
        Assert.That(e.Message, Does.StartWith("CUDA is not available"));
        // Using the backend without a driver is an exception with the same reason, never a crash.
        var e2 = Assert.Throws<CudaException>(() => _ = CudaDevice.Count)!;
        Assert.That(e2.Message, Does.Contain("libcuda.so.1"));
    }

    [Test]
    public void AvailabilityChecksNeverThrow()
    {
        Assert.DoesNotThrow(() => _ = CudaDriver.IsAvailable);
        Assert.DoesNotThrow(() => _ = Nvrtc.IsAvailable);
        Assert.DoesNotThrow(() => _ = CublasLt.IsAvailable);
        if (!Nvrtc.IsAvailable) Assert.That(Nvrtc.UnavailableReason, Does.Contain("libnvrtc.so"));
        if (!CublasLt.IsAvailable) Assert.That(CublasLt.UnavailableReason, Does.Contain("libcublasLt.so"));
    }

    [Test]
    public void DriverStatusBecomesExceptionNamingCallAndError()
    {
        var e = Assert.Throws<CudaException>(() => CudaDriver.Check(CuResult.OutOfMemory, "cuMemAllocAsync"))!;
        Assert.That(e.Message, Does.StartWith("cuMemAllocAsync failed: CUDA_ERROR_OUT_OF_MEMORY"));
        Assert.That(e.Call, Is.EqualTo("cuMemAllocAsync"));
        Assert.That(e.Status, Is.EqualTo(2));
        Assert.That(e.StatusName, Is.EqualTo("CUDA_ERROR_OUT_OF_MEMORY"));
        Assert.DoesNotThrow(() => CudaDriver.Check(CuResult.Success, "cuInit"));
    }

    [Test]
    public void NvrtcAndCublasStatusesAreNamed()
    {
        var e = Assert.Throws<CudaException>(() => Nvrtc.Check(NvrtcResult.InvalidOption, "nvrtcCompileProgram"))!;
        Assert.That(e.Message, Is.EqualTo("nvrtcCompileProgram failed: NVRTC_ERROR_INVALID_OPTION"));
        var c = Assert.Throws<CudaException>(() => CublasLt.Check(CublasStatus.NotSupported, "cublasLtMatmul"))!;
        Assert.That(c.Message, Is.EqualTo("cublasLtMatmul failed: CUBLAS_STATUS_NOT_SUPPORTED"));
    }

    [Test]
    public void UnknownCodesStillFormat()
    {
        Assert.That(CudaDriver.FallbackName((CuResult)12345), Is.EqualTo("CUresult 12345"));
        Assert.That(CudaException.Format("cuX", "NAME", "NAME"), Is.EqualTo("cuX failed: NAME"));
        Assert.That(CudaException.Format("cuX", "NAME", "detail"), Is.EqualTo("cuX failed: NAME (detail)"));
    }
}
