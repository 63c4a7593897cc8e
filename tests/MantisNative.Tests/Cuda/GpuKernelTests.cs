using MantisNative.Backends.Cuda;
using MantisNative.Diagnostics.Kernels;
using MantisNative.Interop;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

/// <summary>
/// Runs the kernel checks (the same code as `mantis kernels check`) on a real GPU; skipped without a GPU or NVRTC.
/// </summary>
[Category("Gpu")]
[NonParallelizable]
public class GpuKernelTests
{
    private CudaContext? _ctx;
    private KernelRegistry? _kernels;
    private KernelChecks? _checks;

    [OneTimeSetUp]
    public void Start()
    {
        if (!CudaDriver.IsAvailable) Assert.Ignore($"no CUDA driver: {CudaDriver.UnavailableReason}");
        if (!Nvrtc.IsAvailable) Assert.Ignore($"no NVRTC: {Nvrtc.UnavailableReason}");
        if (CudaDevice.Count == 0) Assert.Ignore("no CUDA device");
        _ctx = CudaContext.Create(0);
        var cache = new KernelModuleCache(new NvrtcKernelCompiler(), new KernelDiskCache(KernelDiskCache.DefaultDirectory()));
        _kernels = new KernelRegistry(_ctx, KernelCatalog.LoadDefault(), cache);
        _checks = new KernelChecks(_ctx, _kernels);
        TestContext.Out.WriteLine($"{_ctx.Device}, kernels for {_kernels.Target}");
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _kernels?.Dispose();
        _ctx?.Dispose();
    }

    public static IEnumerable<string> Groups => KernelChecks.Groups;

    [TestCaseSource(nameof(Groups))]
    public void KernelGroupMatchesCpuReference(string group)
    {
        var results = _checks!.Run(group);
        foreach (var r in results) TestContext.Out.WriteLine(r.Line());
        Assert.That(results, Is.Not.Empty);
        Assert.That(results.Where(r => !r.Passed).Select(r => r.Line()), Is.Empty);
    }
}
