using MantisNative.Backends.Cuda;
using MantisNative.Interop;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

/// <summary>
/// Compiles every kernel source with NVRTC for compute_80 PTX and sm_90a CUBIN (no GPU needed), failing on any
/// error or warning, and prints registers and spills per kernel. CI provides NVRTC 12.4 through
/// kernels/fetch-nvrtc.sh and MANTIS_NVRTC_PATH; without one the test is skipped with the reason.
/// </summary>
public class KernelCompileTests
{
    private string _cache = null!;

    [SetUp]
    public void SetUp() => _cache = Path.Combine(Path.GetTempPath(), "mantis-kcompile-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, true);
    }

    private static void RequireNvrtc()
    {
        if (!Nvrtc.IsAvailable)
            Assert.Ignore($"NVRTC not available ({Nvrtc.UnavailableReason}); run kernels/fetch-nvrtc.sh and set MANTIS_NVRTC_PATH");
    }

    [Test]
    public void EveryKernelCompilesCleanlyForCiTargets()
    {
        RequireNvrtc();
        var compiler = KernelCompiler.CreateDefault(cacheDirectory: _cache);
        TestContext.Out.WriteLine($"{compiler.Cache.Compiler.Identity} from {Nvrtc.Library.LoadedFrom}");
        var reports = KernelTarget.CiTargets.SelectMany(compiler.CompileAll).ToList();
        foreach (var r in reports) TestContext.Out.WriteLine(r.Summary());
        TestContext.Out.WriteLine(KernelCompiler.FormatResourceTable(reports));

        var failures = reports.Where(r => !r.Clean)
            .Select(r => $"{r.Source} ({r.Target.Arch}):\n{(r.Success ? string.Join('\n', r.Warnings) : r.Log)}").ToList();
        Assert.That(failures, Is.Empty, string.Join("\n\n", failures));
        Assert.That(reports, Has.Count.EqualTo(compiler.Catalog.Sources.Count * 2));

        // Every entry point of the CUBIN build appears in ptxas' report, so the table is complete.
        var cubin = reports.Where(r => r.Target.IsCubin).ToList();
        Assert.That(cubin.All(r => r.Kernels.Count > 0), Is.True, "ptxas -v output missing for some source");
        Assert.That(cubin.Single(r => r.Source == "attention").Kernels.Select(k => k.Function),
            Is.SupersetOf(new[] { "attention_forward_d64", "attention_forward_d72", "attention_forward_d80", "attention_forward_d128",
                                  "attention_backward_d64", "attention_backward_d72", "attention_backward_d80", "attention_backward_d128" }));
        // the sm_80 attention kernels: every entry point reported, none spills (their register tiles are sized for that)
        var flash = cubin.Single(r => r.Source == FlashAttentionLaunch.Source).Kernels;
        Assert.That(flash, Has.Count.EqualTo(FlashAttentionLaunch.HeadDims.Count * 4 + 2));
        Assert.That(flash.Where(k => k.Spills).Select(k => $"{k.Function}: {k.SpillStoreBytes} B stored, {k.SpillLoadBytes} B loaded"), Is.Empty);
    }

    /// <summary>The FA3-design forward really is built from Hopper's instructions: its sm_90a PTX holds wgmma (Q K^T
    /// m64n64, P V m64nDk16 with N = D), TMA copies, mbarrier waits and setmaxnreg; ptxas' registers and spills are
    /// printed and must show no spills (a spilling accumulator would make it slow).</summary>
    [Test]
    public void Sm90AttentionPtxHoldsWgmmaTmaMbarrierAndSetmaxnreg()
    {
        RequireNvrtc();
        var compiler = KernelCompiler.CreateDefault(cacheDirectory: _cache);
        var src = compiler.Catalog.Get("flash_attention_sm90");
        var ptx = System.Text.Encoding.ASCII.GetString(compiler.Cache.GetOrCompile(src, compiler.Catalog.Headers, new KernelTarget("compute_90a")).Image);
        foreach (var op in new[]
                 {
                     "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16", "wgmma.mma_async.sync.aligned.m64n72k16.f32.bf16.bf16",
                     "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16", "wgmma.fence.sync.aligned", "wgmma.commit_group.sync.aligned",
                     "wgmma.wait_group.sync.aligned", "cp.async.bulk.tensor.4d.shared::cluster.global.mbarrier::complete_tx::bytes",
                     "mbarrier.try_wait.parity.shared::cta.b64", "mbarrier.arrive.expect_tx.shared::cta.b64", "setmaxnreg.inc.sync.aligned.u32 240",
                     "setmaxnreg.dec.sync.aligned.u32 24", "fence.proxy.async.shared::cta",
                 })
            Assert.That(ptx, Does.Contain(op), $"the sm_90a PTX of flash_attention_sm90 lacks {op}");
        var cubin = compiler.Compile(src, new KernelTarget("sm_90a"));
        TestContext.Out.WriteLine(KernelCompiler.FormatResourceTable(new[] { cubin }));
        Assert.That(cubin.Clean, Is.True, cubin.Log);
        Assert.That(cubin.Kernels.Select(k => k.Function), Is.EquivalentTo(FlashAttentionSm90.HeadDims.Select(FlashAttentionSm90.ForwardFunction)));
        Assert.That(cubin.Kernels.Where(k => k.Spills).Select(k => k.Function), Is.Empty, "spilling sm_90a attention kernels");
    }

    [Test]
    public void SecondCompileComesFromTheDiskCache()
    {
        RequireNvrtc();
        var first = KernelCompiler.CreateDefault(cacheDirectory: _cache);
        var target = new KernelTarget("compute_80");
        var src = first.Catalog.Get("cast");
        Assert.That(first.Compile(src, target).Origin, Is.EqualTo(KernelCacheOrigin.Compiled));
        var second = KernelCompiler.CreateDefault(cacheDirectory: _cache);
        var r = second.Compile(src, target);
        Assert.That(r.Origin, Is.EqualTo(KernelCacheOrigin.Disk));
        Assert.That(second.Cache.CompileCount, Is.EqualTo(0));
    }

    [Test]
    public void BrokenSourceReportsTheCompilerLog()
    {
        RequireNvrtc();
        var compiler = KernelCompiler.CreateDefault(cacheDirectory: _cache);
        var bad = new KernelSource("broken", "broken.cu", "#include \"common.cuh\"\nextern \"C\" __global__ void f(float* x) { x[0] = undefined_name; }\n");
        var r = compiler.Compile(bad, new KernelTarget("compute_80"));
        Assert.That(r.Success, Is.False);
        Assert.That(r.Log, Does.Contain("undefined_name"));
        Assert.That(r.Summary(), Does.StartWith("FAIL"));
    }

    [Test]
    public void WarningsAreCaught()
    {
        RequireNvrtc();
        var compiler = KernelCompiler.CreateDefault(cacheDirectory: _cache);
        var warn = new KernelSource("warny", "warny.cu", "extern \"C\" __global__ void f(float* x) { int unused = 3; x[0] = 1.0f; }\n");
        var r = compiler.Compile(warn, new KernelTarget("compute_80"));
        Assert.That(r.Success, Is.True);
        Assert.That(r.Clean, Is.False, r.Log);
        Assert.That(r.Summary(), Does.StartWith("WARN"));
    }

    [Test]
    public void NvrtcReportsItsVersionAndArchitectures()
    {
        RequireNvrtc();
        Assert.That(Nvrtc.Version, Does.Match(@"^\d+\.\d+$"));
        var archs = Nvrtc.SupportedArchs();
        if (archs.Length > 0) Assert.That(archs, Does.Contain(80).And.Contain(90));
    }
}
