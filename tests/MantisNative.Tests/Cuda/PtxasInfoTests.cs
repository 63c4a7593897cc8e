using MantisNative.Backends.Cuda;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

public class PtxasInfoTests
{
    private const string Log = """
        ptxas info    : 0 bytes gmem
        ptxas info    : Compiling entry function 'attention_forward_d128' for 'sm_90a'
        ptxas info    : Function properties for attention_forward_d128
        ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
        ptxas info    : Used 66 registers, 41088 bytes smem
        ptxas info    : Compiling entry function 'big' for 'sm_90a'
        ptxas info    : Function properties for big
        ptxas         .     48 bytes stack frame, 40 bytes spill stores, 36 bytes spill loads
        ptxas info    : Used 255 registers, 384 bytes cmem[0]
        """;

    [Test]
    public void ParsesRegistersSpillsAndSharedMemory()
    {
        var u = PtxasInfo.Parse(Log);
        Assert.That(u, Has.Count.EqualTo(2));
        Assert.That(u[0], Is.EqualTo(new KernelResourceUsage("attention_forward_d128", 66, 0, 0, 0, 41088)));
        Assert.That(u[1], Is.EqualTo(new KernelResourceUsage("big", 255, 40, 36, 48, 0)));
        Assert.That(u[1].Spills, Is.True);
    }

    [Test]
    public void FindsWarnings()
    {
        Assert.That(PtxasInfo.Warnings(Log), Is.Empty);
        var w = PtxasInfo.Warnings("rope.cu(12): warning #177-D: variable \"x\" was declared but never referenced\nptxas info : Used 3 registers\n");
        Assert.That(w, Has.Count.EqualTo(1));
        Assert.That(w[0], Does.Contain("#177-D"));
    }

    [Test]
    public void ReportSummaryNamesSpills()
    {
        var r = new KernelSourceReport("big", new KernelTarget("sm_90a"), true, Log, PtxasInfo.Parse(Log), Array.Empty<string>(), KernelCacheOrigin.Compiled);
        Assert.That(r.Summary(), Does.StartWith("ok"));
        Assert.That(r.Summary(), Does.Contain("max 255 regs"));
        Assert.That(r.Summary(), Does.Contain("spills in big (40B st/36B ld)"));
        Assert.That(KernelCompiler.FormatResourceTable(new[] { r }), Does.Contain("attention_forward_d128"));
    }
}
