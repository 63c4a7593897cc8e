using System.Text.RegularExpressions;
using MantisNative.Backends.Cuda;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

/// <summary>Static checks of kernels/ that need no compiler.</summary>
public class KernelSourceTests
{
    private static KernelCatalog Catalog() => KernelCatalog.LoadDefault();

    [Test]
    public void KernelsIncludeNoToolkitHeader()
    {
        // CI's NVRTC ships no toolkit headers (cuda_bf16.h, cuda_fp16.h, cuda_runtime.h, ...): only our own
        // quoted headers may be included.
        var cat = Catalog();
        var own = cat.Headers.Select(h => h.IncludeName).ToHashSet();
        var include = new Regex(@"^\s*#\s*include\s*([<""])([^>""]+)[>""]", RegexOptions.Multiline);
        foreach (var text in cat.Sources.Select(s => (s.Name + ".cu", s.Text)).Concat(cat.Headers.Select(h => (h.IncludeName, h.Text))))
            foreach (Match m in include.Matches(text.Text))
            {
                Assert.That(m.Groups[1].Value, Is.EqualTo("\""), $"{text.Item1}: system include <{m.Groups[2].Value}>");
                Assert.That(own, Does.Contain(m.Groups[2].Value), $"{text.Item1}: includes {m.Groups[2].Value}, which is not in kernels/");
            }
    }

    [Test]
    public void EveryOpFamilyHasItsSource()
    {
        var names = Catalog().Sources.Select(s => s.Name).ToList();
        Assert.That(names, Is.SupersetOf(new[]
        {
            "cast", "elementwise", "embedding", "rmsnorm", "layernorm", "rope", "swiglu", "gelu", "softmax",
            "cross_entropy", "patch_embed", "attention", "adamw", "grad_norm",
        }));
    }

    [Test]
    public void ForwardAndBackwardSitSideBySide()
    {
        var cat = Catalog();
        var entry = new Regex(@"extern\s+""C""\s+__global__\s+void\s+(?:__launch_bounds__\([^)]*\)\s+)?(\w+)");
        foreach (var family in new[] { "rmsnorm", "layernorm", "rope", "swiglu", "softmax" })
        {
            var fns = entry.Matches(cat.Get(family).Text).Select(m => m.Groups[1].Value).ToList();
            Assert.That(fns, Does.Contain($"{family}_forward").And.Contain($"{family}_backward"), family);
        }
        var attention = cat.Get("attention").Text;
        // every head dim the launcher offers has its entry points (8/16/32: the tiny fixtures; 64-128: real models)
        foreach (var d in MantisNative.Backends.Cuda.AttentionLaunch.HeadDims.Concat(new[] { 64, 72, 80, 128 }))
            Assert.That(attention, Does.Contain($"ATTENTION_ENTRY_POINTS({d})"));
    }

    [Test]
    public void CommonHeaderDefinesBf16WithPtx()
    {
        var common = Catalog().Headers.Single(h => h.IncludeName == "common.cuh").Text;
        Assert.That(common, Does.Contain("cvt.rn.bf16.f32"));
        Assert.That(common, Does.Contain("<< 16"));
    }
}
