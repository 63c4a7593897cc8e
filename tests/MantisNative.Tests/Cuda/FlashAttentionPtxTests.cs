using System.Text;
using System.Text.RegularExpressions;
using MantisNative.Backends.Cuda;
using MantisNative.Interop;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

/// <summary>
/// The sm_80 attention kernels really run on tensor cores: NVRTC's PTX for compute_80 and compute_90 holds, in
/// every forward, backward and decode entry point, the bf16 mma.sync, ldmatrix and cp.async instructions (a
/// refactor that fell back to scalar FMAs, or an instruction the compiler dropped, fails here). Registers and spills
/// of the sm_90a build: KernelCompileTests. Needs NVRTC (CI: kernels/fetch-nvrtc.sh); skipped without.
/// </summary>
public partial class FlashAttentionPtxTests
{
    private string _cache = null!;

    [SetUp]
    public void SetUp() => _cache = Path.Combine(Path.GetTempPath(), "mantis-fa2ptx-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, true);
    }

    [GeneratedRegex(@"\.entry\s+(\w+)\s*\(")]
    private static partial Regex Entry();

    private static readonly string[] TensorCoreInstructions =
    {
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32", "ldmatrix.sync.aligned.m8n8.", ".trans.shared.b16",
        "cp.async.cg.shared.global", "cp.async.commit_group", "cp.async.wait_group",
    };

    private static Dictionary<string, string> EntryBodies(string ptx)
    {
        var starts = Entry().Matches(ptx).ToList();
        var bodies = new Dictionary<string, string>();
        for (int i = 0; i < starts.Count; i++)
        {
            int end = i + 1 < starts.Count ? starts[i + 1].Index : ptx.Length;
            bodies[starts[i].Groups[1].Value] = ptx[starts[i].Index..end];
        }
        return bodies;
    }

    [TestCase("compute_80")]
    [TestCase("compute_90")]
    public void EveryEntryPointUsesTheTensorCoreInstructions(string arch)
    {
        if (!Nvrtc.IsAvailable) Assert.Ignore($"NVRTC not available ({Nvrtc.UnavailableReason}); run kernels/fetch-nvrtc.sh and set MANTIS_NVRTC_PATH");
        var compiler = KernelCompiler.CreateDefault(cacheDirectory: _cache);
        var compiled = compiler.Cache.GetOrCompile(compiler.Catalog.Get(FlashAttentionLaunch.Source), compiler.Catalog.Headers, new KernelTarget(arch));
        var bodies = EntryBodies(Encoding.ASCII.GetString(compiled.Image));
        foreach (int d in FlashAttentionLaunch.HeadDims)
            foreach (var fn in new[] { FlashAttentionLaunch.Forward(d), FlashAttentionLaunch.BackwardDkDv(d), FlashAttentionLaunch.BackwardDq(d), FlashAttentionLaunch.Decode(d) })
            {
                Assert.That(bodies.ContainsKey(fn), Is.True, $"{fn} missing from the {arch} PTX");
                foreach (var ins in TensorCoreInstructions)
                    Assert.That(bodies[fn], Does.Contain(ins), $"{fn} ({arch}) lacks {ins}");
                // 16 or more: full 16 x 16 operand tiles by ldmatrix.x4 (head dim 8 has only k8 steps and one n-tile: x2)
                if (d >= 16)
                    foreach (var x4 in new[] { "ldmatrix.sync.aligned.m8n8.x4.shared.b16", "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16" })
                        Assert.That(bodies[fn], Does.Contain(x4), $"{fn} ({arch}) lacks {x4}");
                // head dims that are an odd multiple of 8 (72) finish Q.K^T with one k8 step instead of padding
                if (d % 16 == 8) Assert.That(bodies[fn], Does.Contain("mma.sync.aligned.m16n8k8.row.col.f32.bf16.bf16.f32"), $"{fn}: the k8 tail");
            }
    }
}
