using MantisNative.Cli;
using MantisNative.Interop;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

public class KernelsCommandTests
{
    [Test]
    public void CompileCommandCompilesEverySource()
    {
        if (!Nvrtc.IsAvailable) Assert.Ignore($"NVRTC not available ({Nvrtc.UnavailableReason})");
        var cache = Path.Combine(Path.GetTempPath(), "mantis-kcmd-" + Guid.NewGuid().ToString("N"));
        var old = Console.Out;
        var sw = new StringWriter();
        try
        {
            Console.SetOut(sw);
            Assert.That(CliApp.Run(new[] { "kernels", "compile", "--arch", "compute_80", "--cache", cache }), Is.EqualTo(0));
        }
        finally
        {
            Console.SetOut(old);
            if (Directory.Exists(cache)) Directory.Delete(cache, true);
        }
        var text = sw.ToString();
        TestContext.Out.WriteLine(text);
        Assert.That(text, Does.Contain("ok    attention"));
        Assert.That(text, Does.Contain("compilations ok"));
    }

    [Test]
    public void BadArchIsAUserError()
    {
        if (!Nvrtc.IsAvailable) Assert.Ignore($"NVRTC not available ({Nvrtc.UnavailableReason})");
        var err = new StringWriter();
        var old = Console.Error;
        try
        {
            Console.SetError(err);
            Assert.That(CliApp.Run(new[] { "kernels", "compile", "--arch", "sm9" }), Is.EqualTo(1));
        }
        finally { Console.SetError(old); }
        Assert.That(err.ToString(), Does.Contain("--arch 'sm9'"));
    }

    [Test]
    public void UnknownSubcommandIsAUserError()
    {
        var err = new StringWriter();
        var old = Console.Error;
        try
        {
            Console.SetError(err);
            Assert.That(CliApp.Run(new[] { "kernels", "frobnicate" }), Is.EqualTo(1));
        }
        finally { Console.SetError(old); }
        Assert.That(err.ToString(), Does.Contain("unknown subcommand 'frobnicate'"));
    }

    [Test]
    public void CheckWithoutGpuSaysWhy()
    {
        if (CudaDriver.IsAvailable) Assert.Ignore("a CUDA driver is present");
        var err = new StringWriter();
        var old = Console.Error;
        try
        {
            Console.SetError(err);
            Assert.That(CliApp.Run(new[] { "kernels", "check" }), Is.EqualTo(1));
        }
        finally { Console.SetError(old); }
        Assert.That(err.ToString(), Does.Contain("no usable CUDA driver"));
        Assert.That(err.ToString(), Does.Contain("libcuda.so.1"));
    }
}
