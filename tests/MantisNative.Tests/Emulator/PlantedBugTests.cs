using NUnit.Framework;

namespace MantisNative.Tests.Emulator;

/// <summary>
/// Deliberately broken copies of the kernels, run through `mantis kernels check --kernels COPY` on the emulated
/// device: each must fail, and the failure must name the kernel (the check of its op, or the emulator's own
/// finding: kernel, block, thread, allocation). If one of these passes, the emulator (or the check) is blind to
/// that class of bug.
/// </summary>
[TestFixture, Category("Emulator")]
public class PlantedBugTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        EmulatorHarness.Library();
        _dir = Path.Combine(Path.GetTempPath(), $"mantis-planted-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dir);
        foreach (var f in Directory.GetFiles(EmulatorHarness.KernelsDir))
            if (f.EndsWith(".cu", StringComparison.Ordinal) || f.EndsWith(".cuh", StringComparison.Ordinal))
                File.Copy(f, Path.Combine(_dir, Path.GetFileName(f)));
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private void Plant(string file, string from, string to)
    {
        var path = Path.Combine(_dir, file);
        var text = File.ReadAllText(path);
        Assert.That(text, Does.Contain(from), $"{file} no longer contains the line this bug is planted in");
        var i = text.IndexOf(from, StringComparison.Ordinal);
        File.WriteAllText(path, text[..i] + to + text[(i + from.Length)..]);
    }

    private string CheckFails(string group, int seed)
    {
        var (rc, output) = EmulatorHarness.Mantis(new[] { "kernels", "check", "--group", group, "--kernels", _dir }, seed);
        TestContext.Out.WriteLine(output);
        Assert.That(rc, Is.Not.EqualTo(0), "the broken kernel passed its check:\n" + output);
        Assert.That(output, Does.Contain("FAIL"));
        return output;
    }

    [TestCase(0)]
    [TestCase(1)]
    public void RemovedSyncthreadsBeforeReadingTheTileIsCaught(int seed)
    {
        // the barrier between loading the K/V tile into shared memory and reading it
        Plant("attention.cu", "        }\n        __syncthreads();\n        const int kj = k0 + lane;", "        }\n        const int kj = k0 + lane;");
        var output = CheckFails("attention", seed);
        Assert.That(output, Does.Match(@"FAIL +attention d\d+ \w+ \d+x\d+ (o|lse)"), "the forward's output check names the attention kernel");
    }

    [Test]
    public void OffByOneLoopBoundIsCaughtAsAWritePastTheEnd()
    {
        Plant("elementwise.cu", "GRID_STRIDE(i, n) y[i] = f32_to_bf16(bf16_to_f32(a[i]) + bf16_to_f32(b[i % nb]));",
              "GRID_STRIDE(i, n + 1) y[i] = f32_to_bf16(bf16_to_f32(a[i]) + bf16_to_f32(b[i % nb]));");
        var output = CheckFails("elementwise", 0);
        Assert.That(output, Does.Contain("kernel add_bf16"), "the emulator names the kernel");
        Assert.That(output, Does.Contain("wrote past the end of allocation"));
        Assert.That(output, Does.Contain("CUDA_ERROR_ILLEGAL_ADDRESS"));
    }

    [Test]
    public void WrongShuffleLaneIsCaught()
    {
        Plant("attention.cu", "__shfl_sync(MANTIS_FULL_MASK, p, j)", "__shfl_sync(MANTIS_FULL_MASK, p, (j + 1) & 31)");
        var output = CheckFails("attention", 0);
        Assert.That(output, Does.Match(@"FAIL +attention d\d+ \w+ \d+x\d+ o "), output);
    }

    [Test]
    public void WritePastTheEndOfAnOutputIsCaught()
    {
        Plant("rmsnorm.cu", "rstd_out[r] = rstd;", "rstd_out[r + 1] = rstd;");
        var output = CheckFails("rmsnorm", 0);
        Assert.That(output, Does.Contain("kernel rmsnorm_forward"));
        Assert.That(output, Does.Contain("wrote past the end of allocation"));
    }

    [Test]
    public void BarrierReachedByPartOfTheBlockIsCaughtNamingKernelBlockAndThread()
    {
        Plant("rmsnorm.cu", "        float ss = 0.0f;\n", "        if (threadIdx.x >= 32) return;\n        float ss = 0.0f;\n");
        var output = CheckFails("rmsnorm", 0);
        Assert.That(output, Does.Match(@"kernel rmsnorm_forward block \(\d+,0,0\) thread \(\d+,0,0\)"), output);
        Assert.That(output, Does.Contain("exited without reaching it").Or.Contain("never completes"));
    }

    [Test]
    public void WarpCollectiveWithADepartedLaneIsCaught()
    {
        // lane 31 leaves before the warp reduction its mask still names
        Plant("attention.cu", "        s = warp_sum(s);\n        if (lane == 0) delta[row] = s;",
              "        if (lane == 31) return;\n        s = warp_sum(s);\n        if (lane == 0) delta[row] = s;");
        var output = CheckFails("attention", 0);
        Assert.That(output, Does.Contain("kernel attention_backward_delta"));
        Assert.That(output, Does.Contain("__shfl_xor_sync(mask 0xffffffff) never completes"));
    }
    [Test]
    public void Sm90ReleasingAStageBeforeItsPvWgmmaFinishesIsCaught()
    {
        // the consumers hand the K/V slot back while O += P V still reads it: the producer's next TMA copy lands first
        Plant("flash_attention_sm90.cu", "            issue_pv(j - 1, p);   // ... then O += P_{j-1} V_{j-1}\n",
            "            issue_pv(j - 1, p);\n            release(j - 1);\n");
        Plant("flash_attention_sm90.cu", "            wgmma_wait<0>();\n            release(j - 1);\n", "            wgmma_wait<0>();\n");
        var output = CheckFails("attention_sm90", 0);
        Assert.That(output, Does.Match(@"FAIL +attention sm90 d128 causal 130x130 h4/2 bthd mask lens o"), "the 3-tile case reads the overwritten V");
    }

    [Test]
    public void Sm90PingPongWithoutTheFirstTurnDeadlocksAndIsNamed()
    {
        // consumer 1 never opens consumer 0's first turn: both wait at their named barrier for ever
        Plant("flash_attention_sm90.cu", "        if (c == 1) named_bar_arrive(1, FA3_TURN_THREADS);   // consumer 0 issues first\n", "");
        var output = CheckFails("attention_sm90", 977);
        Assert.That(output, Does.Contain("bar.sync 1, 256 (named barrier) never completes"));
        Assert.That(output, Does.Contain("kernel flash_attention_sm90_fwd_d64"));
    }

    [Test]
    public void Sm90SoftmaxWithoutWaitingForTheScoresIsCaught()
    {
        // reading S = Q K^T before wgmma.wait_group retires it: undefined on the device, NaN on the emulator
        Plant("flash_attention_sm90.cu", "        issue_qk(0);\n        turn_end(false);\n        wgmma_wait<0>();\n",
            "        issue_qk(0);\n        turn_end(false);\n");
        var output = CheckFails("attention_sm90", 1);
        Assert.That(output, Does.Match(@"FAIL +attention sm90 d64 causal 37x37 h4/2 bthd lens (o|lse)"));
    }
}
