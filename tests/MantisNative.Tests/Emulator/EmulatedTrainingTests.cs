using System.Globalization;
using System.Text.Json;
using MantisNative.Data.Synthetic;
using MantisNative.Diagnostics;
using MantisNative.IO;
using MantisNative.Training;
using NUnit.Framework;

namespace MantisNative.Tests.Emulator;

/// <summary>
/// `mantis train --device cuda|auto` on the emulated device (the real CUDA backend, kernels on the CPU), against the
/// CPU engine on the same Hugging Face folder, data and settings. The model is the built-in tiny one saved as a
/// Hugging Face folder (vision head dim 24, text head dim 32). Ten short runs (sixteen device steps, six of them LoRA) are shared by the
/// tests; the built-in default itself (no --model_path) trains one step in its own test.
/// Tolerance device vs CPU: 2e-2 relative per logged loss: BF16 weights and activations with fp32 accumulation
/// (FixtureCheck's bf16 loss bound); measured differences are about 1e-3.
/// </summary>
[TestFixture, Category("Emulator"), NonParallelizable]
public class EmulatedTrainingTests
{
    private const double Bf16LossTolerance = 2e-2;
    private TrainRuns _runs = null!;

    [OneTimeSetUp]
    public void TrainOnBothDevices()
    {
        _runs = new TrainRuns("train");

        _runs.Run("dev", "auto", "--max_steps", "4", "--save_steps", "2");
        _runs.Run("cpu", "cpu", "--max_steps", "4", "--save_steps", "2");
        _runs.Run("dev-resume", "cuda", "--max_steps", "4", "--resume", _runs.Out("dev", "checkpoint-2"));
        _runs.Run("cpu-from-dev", "cpu", "--max_steps", "4", "--resume", _runs.Out("dev", "checkpoint-2"));
        _runs.Run("dev-from-cpu", "cuda:0", "--max_steps", "4", "--resume", _runs.Out("cpu", "checkpoint-2"));
        _runs.Run("dev-ckpt", "cuda", "--max_steps", "2", "--gradient_checkpointing", "true");
        // LoRA with dropout (the masks drawn from the same counter-based stream on both devices)
        _runs.Run("lora-dev", "auto", "--max_steps", "4", "--save_steps", "2", "--lora", LoraSpec);
        _runs.Run("lora-cpu", "cpu", "--max_steps", "4", "--save_steps", "2", "--lora", LoraSpec);
        _runs.Run("lora-dev-resume", "cuda", "--max_steps", "4", "--resume", _runs.Out("lora-dev", "checkpoint-2"));
    }

    private const string LoraSpec = "r=4,alpha=8,dropout=0.1";

    [OneTimeTearDown]
    public void Clean() => _runs.Dispose();

    /// <summary>A copy of <paramref name="model"/> whose vision attention is read as <paramref name="heads"/> heads (the
    /// parameters' shapes do not depend on the head count), to get a head dim without a CUDA kernel.</summary>
    private static string WithVisionHeads(string model, string output, int heads)
    {
        Directory.CreateDirectory(output);
        foreach (var f in Directory.GetFiles(model)) File.Copy(f, Path.Combine(output, Path.GetFileName(f)));
        var configPath = Path.Combine(output, "config.json");
        var json = File.ReadAllText(configPath);
        var patched = System.Text.RegularExpressions.Regex.Replace(json,
            "(\"vision_config\"\\s*:\\s*\\{[^}]*\"num_attention_heads\"\\s*:\\s*)4", "${1}" + heads.ToString(CultureInfo.InvariantCulture));
        Assert.That(patched, Is.Not.EqualTo(json), "the vision head count was found in config.json");
        File.WriteAllText(configPath, patched);
        return output;
    }

    private static void AssertClose(IEnumerable<TrainRow> got, IEnumerable<TrainRow> want, string what, double tolerance = Bf16LossTolerance)
        => TrainRuns.AssertLossesClose(got, want, what, tolerance);

    [Test]
    public void AutoPicksTheDeviceAndSaysSo()
    {
        var (_, output) = _runs.Ok("dev");
        Assert.That(output, Does.Contain("device: cuda:0 (auto: a GPU is present): Mantis emulated GPU"), output);
        Assert.That(_runs.Ok("cpu").Out, Does.Contain("device: cpu"));
    }

    [Test]
    public void DeviceLossesTrackTheCpuRun()
    {
        var dev = _runs.Metrics("dev");
        var cpu = _runs.Metrics("cpu");
        Assert.That(dev, Has.Count.EqualTo(4));
        Assert.That(dev.All(r => double.IsFinite(r.Loss) && double.IsFinite(r.GradNorm) && r.GradNorm > 0), Is.True);
        Assert.That(dev.Select(r => r.Loss), Is.Not.EqualTo(cpu.Select(r => r.Loss)), "really two engines (BF16 on the device)");
        AssertClose(dev, cpu, "device vs cpu");
        for (int i = 0; i < dev.Count; i++)
            Assert.That(dev[i].GradNorm, Is.EqualTo(cpu[i].GradNorm).Within(5e-2 * cpu[i].GradNorm), $"global norm at step {dev[i].Step} (bf16 gradients)");
        Assert.That(dev[^1].Loss, Is.LessThan(dev[0].Loss), "it learns");
    }

    [Test]
    public void ResumeOnTheDeviceContinuesTheExactLossSequence()
    {
        var full = _runs.Metrics("dev");
        var resumed = _runs.Metrics("dev-resume");
        Assert.That(resumed.Select(r => r.Step), Is.EqualTo(new[] { 3, 4 }));
        Assert.That(resumed.Select(r => (r.Loss, r.GradNorm)), Is.EqualTo(full.Skip(2).Select(r => (r.Loss, r.GradNorm))), "bit-equal");
    }

    [Test]
    public void DeviceCheckpointHoldsFp32MastersAndMoments()
    {
        _runs.Ok("dev");
        var ckpt = _runs.Out("dev", "checkpoint-2");
        using var weights = SafetensorsFile.Open(Path.Combine(ckpt, "model.safetensors"));
        var name = weights.Names.First(n => n.Contains("q_proj.weight", StringComparison.Ordinal) && n.StartsWith("language_model", StringComparison.Ordinal));
        var values = weights.ReadFloat32(name);
        // a BF16 weight widened to F32 has zero low 16 bits; fp32 masters after two updates do not
        Assert.That(values.Count(v => (BitConverter.SingleToUInt32Bits(v) & 0xFFFF) != 0), Is.GreaterThan(values.Length / 2), name);
        using var opt = SafetensorsFile.Open(Path.Combine(ckpt, TrainerState.OptimizerFile));
        Assert.That(opt.Names, Does.Contain("exp_avg." + name).And.Contain("exp_avg_sq." + name));
        Assert.That(opt.ReadFloat32("exp_avg_sq." + name).Any(v => v > 0), Is.True, "second moments saved");
    }

    [Test]
    public void DeviceCheckpointResumesOnTheCpu()
    {
        var resumed = _runs.Metrics("cpu-from-dev");
        AssertClose(resumed, _runs.Metrics("dev").Skip(2), "cpu resumed from the device checkpoint vs the device run");
        AssertClose(resumed, _runs.Metrics("cpu").Skip(2), "cpu resumed from the device checkpoint vs the cpu run");
    }

    [Test]
    public void CpuCheckpointResumesOnTheDevice()
    {
        var resumed = _runs.Metrics("dev-from-cpu");
        Assert.That(resumed.Select(r => r.Step), Is.EqualTo(new[] { 3, 4 }));
        AssertClose(resumed, _runs.Metrics("cpu").Skip(2), "device resumed from the cpu checkpoint vs the cpu run");
    }

    [Test]
    public void GradientCheckpointingOnTheDeviceGivesTheSameLosses()
    {
        var ckpt = _runs.Metrics("dev-ckpt");
        Assert.That(_runs.Ok("dev-ckpt").Out, Does.Contain("checkpointed"), "the plan counts checkpointed activations");
        // the recomputed forward runs the same kernels on the same inputs: the emulator gives the same bits
        Assert.That(ckpt.Select(r => r.Loss), Is.EqualTo(_runs.Metrics("dev").Take(2).Select(r => r.Loss)));
    }

    [Test]
    public void MemoryPlanIsPrintedAndWithinAQuarterOfTheMeasuredPeak()
    {
        var (_, output) = _runs.Ok("dev");
        foreach (var part in new[] { "memory plan on cuda:0", "weights (bf16)", "fp32 master weights", "AdamW moments", "gradients (fp32)", "activations (batch 2 x 128 tokens", "available" })
            Assert.That(output, Does.Contain(part), output);
        foreach (var r in _runs.Metrics("dev"))
        {
            Assert.That(r.Peak, Is.GreaterThan(0), $"step {r.Step}: peak logged");
            double ratio = (double)r.Peak / r.Planned;
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {r.Step}: peak {r.Peak} planned {r.Planned} ratio {ratio:F3}"));
            Assert.That(ratio, Is.InRange(0.8, 1.25), $"step {r.Step}: measured peak / plan");
        }
        Assert.That(output, Does.Match(@"step +1/4 .* peak [\d.]+ MB"), "the peak is in the progress line");
    }

    [Test]
    public void APlanThatDoesNotFitIsRefusedNamingWhatToChange()
    {
        var env = EmulatorHarness.Environment();
        env["MANTIS_EMU_MEMORY_MB"] = "48";   // the model fits, its optimizer state and workspace do not
        var dll = Path.Combine(TestContext.CurrentContext.TestDirectory, "mantis.dll");
        var (rc, output) = EmulatorHarness.Run("dotnet", new[]
        {
            dll, "train", "--model_path", _runs.Model, "--train_data", _runs.TrainData, "--output_dir", _runs.Out("too-big"), "--device", "cuda",
            "--per_device_train_batch_size", "8", "--max_steps", "1", "--no-eval", "--plain",
        }, env, 300);
        Assert.That(rc, Is.EqualTo(1), output);
        var error = output.Split('\n').Single(l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.That(error, Does.Contain("needs about").And.Contain("gradient_checkpointing true").And.Contain("per_device_train_batch_size 1"), error);
        Assert.That(output, Does.Not.Contain("   at "));
        Assert.That(output, Does.Not.Contain("step "), "refused before the first step");
    }

    [Test]
    public void TheBuiltInDefaultTrainsOnTheDevice()
    {
        var (rc, output) = EmulatorHarness.Mantis(new[]
        {
            "train", "--train_data", _runs.TrainData, "--output_dir", _runs.Out("default-on-device"), "--device", "cuda", "--max_steps", "1",
            "--per_device_train_batch_size", "2", "--max_seq_len", "128", "--logging_steps", "1", "--no-eval", "--plain",
        });
        Assert.That(rc, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("device: cuda:0"), output);
        var row = File.ReadAllLines(_runs.Out("default-on-device", MetricsFile.FileName)).Single(l => l.Length > 0);
        using var d = JsonDocument.Parse(row);
        Assert.That(double.IsFinite(d.RootElement.GetProperty("loss").GetDouble()), Is.True, row);
    }

    [Test]
    public void AHeadDimWithoutAKernelIsRefusedUpFront()
    {
        var model = WithVisionHeads(_runs.Model, _runs.Out("vision-hd12-model"), 8);   // 96 / 8 = head dim 12
        var (rc, output) = EmulatorHarness.Mantis(new[]
        {
            "train", "--model_path", model, "--train_data", _runs.TrainData, "--output_dir", _runs.Out("hd12-on-device"), "--device", "cuda",
            "--max_steps", "1", "--no-eval", "--plain",
        });
        Assert.That(rc, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("head dim 12 has no CUDA attention kernel").And.Contain("--device cpu"), output);
        Assert.That(output, Does.Not.Contain("   at "));
    }

    /// <summary>
    /// DESIGN.md: no synchronising host copy inside a step. The trainer logs the synchronising copies of each
    /// optimizer step (DeviceBuffer's pageable copies, counted by the context); the contract allows two scalar reads
    /// (the loss sum and the squared gradient norm) and nothing per micro-batch or per tensor, and no synchronising
    /// upload at all: a step's ids, splice index, key mask and targets and the optimizer's and gradient norm's changed
    /// table entries go through the page-locked staging ring, and RoPE reads the decoder's tables by position, made
    /// once (docs/gpu-step.md, "Synchronising copies"). The staged uploads are counted too and held to the known
    /// numbers, so a new per-step upload shows. The LoRA run's staged uploads (its dropout masks, one per module and
    /// micro-batch) are printed, not held to a number; it keeps to the two reads (its first step used to read every
    /// adapted base weight for a row norm only DoRA needs).
    /// </summary>
    [TestCase("dev")]
    [TestCase("dev-ckpt")]
    [TestCase("lora-dev")]
    public void ADeviceStepReadsTwoScalarsAndUploadsNothingSynchronously(string run)
    {
        foreach (var r in _runs.Metrics(run))
        {
            TestContext.Out.WriteLine($"{run} step {r.Step}: {r.SyncReads} synchronising reads, {r.SyncUploads} synchronising uploads, {r.StagedUploads} staged uploads");
            Assert.That(r.SyncUploads, Is.EqualTo(0), $"step {r.Step}: synchronising uploads");
            Assert.That(r.SyncReads, Is.EqualTo(2), $"step {r.Step}: the loss sum and the gradient norm, nothing else");
            if (run == "lora-dev") continue;
            Assert.That(r.StagedUploads, Is.EqualTo(KnownStagedUploadsPerStep + (r.Step == 1 ? 2 : 0)), $"step {r.Step}: staged uploads");
        }
    }

    /// <summary>The staged (asynchronous, page-locked) uploads of a step of the "dev" and "dev-ckpt" runs, measured on
    /// the emulator (2026-12-02): the forward's ids, image-splice index, key mask and loss targets (4), the AdamW and
    /// gradient-norm tables' gradient column (1 each); the first step also makes the RoPE tables by position (cos and
    /// sin, 2). Before the staging ring these were 14 synchronising uploads per step (cos and sin included).</summary>
    private const double KnownStagedUploadsPerStep = 6;

    [Test]
    public void LoraTrainsOnTheDeviceAndTracksTheCpuLoraRun()
    {
        var (_, output) = _runs.Ok("lora-dev");
        Assert.That(output, Does.Contain("device: cuda:0 (auto: a GPU is present)"), "auto keeps a bf16-base LoRA run on the GPU");
        var dev = _runs.Metrics("lora-dev");
        var cpu = _runs.Metrics("lora-cpu");
        Assert.That(dev, Has.Count.EqualTo(4));
        Assert.That(dev.All(r => double.IsFinite(r.Loss) && r.GradNorm > 0), Is.True);
        Assert.That(dev.Select(r => r.Loss), Is.Not.EqualTo(cpu.Select(r => r.Loss)), "really two engines (BF16 on the device)");
        AssertClose(dev, cpu, "LoRA device vs cpu", Tolerances.ModelLogits.Bf16);
        Assert.That(dev[^1].Loss, Is.LessThan(dev[0].Loss), "it learns");
    }

    [Test]
    public void LoraResumeOnTheDeviceContinuesTheExactLossSequence()
    {
        var full = _runs.Metrics("lora-dev");
        var resumed = _runs.Metrics("lora-dev-resume");
        Assert.That(_runs.Ok("lora-dev-resume").Out, Does.Contain("device: cuda:0"));
        Assert.That(resumed.Select(r => r.Step), Is.EqualTo(new[] { 3, 4 }));
        Assert.That(resumed.Select(r => (r.Loss, r.GradNorm)), Is.EqualTo(full.Skip(2).Select(r => (r.Loss, r.GradNorm))), "bit-equal");
        // the final adapters agree bit for bit too (the checkpoint holds the fp32 masters, the dropout masks are keyed by step)
        var a = ReadAdapter(_runs.Out("lora-dev", "adapter"));
        var b = ReadAdapter(_runs.Out("lora-dev-resume", "adapter"));
        Assert.That(b.Keys, Is.EquivalentTo(a.Keys));
        foreach (var k in a.Keys) Assert.That(b[k], Is.EqualTo(a[k]), k);
    }

    [Test]
    public void LoraDeviceAdapterHoldsFp32MastersAndEqualsTheCpuAdapterWithinBf16()
    {
        _runs.Ok("lora-dev");
        _runs.Ok("lora-cpu");
        var ckpt = ReadAdapter(_runs.Out("lora-dev", "checkpoint-2"));
        var b0 = ckpt.Where(kv => kv.Key.EndsWith(".lora_B.weight", StringComparison.Ordinal)).SelectMany(kv => kv.Value).ToArray();
        // a BF16 value widened to F32 has zero low 16 bits; the fp32 masters after two updates do not
        Assert.That(b0.Count(v => (BitConverter.SingleToUInt32Bits(v) & 0xFFFF) != 0), Is.GreaterThan(b0.Length / 2), "lora_B of checkpoint-2 is fp32");
        using (var opt = SafetensorsFile.Open(Path.Combine(_runs.Out("lora-dev", "checkpoint-2"), TrainerState.OptimizerFile)))
            Assert.That(opt.Names.Where(n => n.StartsWith("exp_avg_sq.", StringComparison.Ordinal)).All(n => n.Contains(".lora_", StringComparison.Ordinal)), Is.True,
                "only the adapters have moments");
        var dev = ReadAdapter(_runs.Out("lora-dev", "adapter"));
        var cpu = ReadAdapter(_runs.Out("lora-cpu", "adapter"));
        Assert.That(dev.Keys, Is.EquivalentTo(cpu.Keys));
        Assert.That(dev.Keys.Count(k => k.EndsWith(".lora_A.weight", StringComparison.Ordinal)), Is.GreaterThan(0));
        float[] All(Dictionary<string, float[]> a, string suffix) =>
            a.Where(kv => kv.Key.EndsWith(suffix, StringComparison.Ordinal)).OrderBy(kv => kv.Key, StringComparer.Ordinal).SelectMany(kv => kv.Value).ToArray();
        // B starts at 0 and is all AdamW steps (A is its Kaiming init plus steps from step 2). AdamW normalizes each
        // element's step (m / sqrt(v) is the gradient's sign at the first step), so an element whose gradient is near 0
        // can step the other way on the other engine, a full lr apart: measured 0.3 % of B's elements, which make B's
        // relative L2 over all elements ~6e-2. The rest must agree as bf16 gradients do.
        foreach (var suffix in new[] { ".lora_A.weight", ".lora_B.weight" })
        {
            var d = All(dev, suffix);
            var c = All(cpu, suffix);
            Assert.That(d, Has.Length.EqualTo(c.Length));
            Assert.That(c.Count(v => v != 0), Is.GreaterThan(c.Length / 2), $"{suffix} trained");
            double flipped = (double)Enumerable.Range(0, c.Length).Count(i => Math.Sign(d[i]) != Math.Sign(c[i])) / c.Length;
            var worst = Enumerable.Range(0, c.Length).OrderByDescending(i => Math.Abs(d[i] - c[i])).Take(c.Length / 100).ToHashSet();
            var keep = Enumerable.Range(0, c.Length).Where(i => !worst.Contains(i)).ToArray();
            double all = RelativeL2(d, c);
            double trimmed = RelativeL2(keep.Select(i => d[i]).ToArray(), keep.Select(i => c[i]).ToArray());
            var rel = Enumerable.Range(0, c.Length).Where(i => c[i] != 0).Select(i => Math.Abs(d[i] - c[i]) / Math.Abs(c[i])).Order().ToArray();
            double median = rel[rel.Length / 2];
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{suffix}: device vs cpu relative L2 {all:E2}, without the 1 % largest differences {trimmed:E2}; median element {median:E2}; signs differ {100 * flipped:F2} %"));
            Assert.That(flipped, Is.LessThan(0.01), $"{suffix}: elements that stepped the other way");
            Assert.That(median, Is.LessThan(Tolerances.Rounded.Bf16), $"{suffix}: median element");
            Assert.That(trimmed, Is.LessThan(Tolerances.ModelGrads.Bf16), $"{suffix} without the 1 % of elements whose step sign is bf16 noise");
        }
    }

    [Test]
    public void LoraMemoryPlanCountsOnlyTheAdaptersAndIsWithinAQuarterOfTheMeasuredPeak()
    {
        var (_, output) = _runs.Ok("lora-dev");
        Assert.That(output, Does.Contain("weights (bf16: frozen base and adapters)").And.Contain("LoRA activations"), output);
        // the adapters' fp32 masters: 4 bytes per adapter value, far below the model's (the full run's line)
        double Part(string text, string what) => double.Parse(System.Text.RegularExpressions.Regex.Match(text, what + @"\s+([\d.Ee+-]+) MB").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.That(Part(output, "fp32 master weights"), Is.LessThan(Part(_runs.Ok("dev").Out, "fp32 master weights") / 4), "masters of the adapters only");
        foreach (var r in _runs.Metrics("lora-dev"))
        {
            double ratio = (double)r.Peak / r.Planned;
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {r.Step}: peak {r.Peak} planned {r.Planned} ratio {ratio:F3}"));
            Assert.That(ratio, Is.InRange(0.8, 1.25), $"step {r.Step}: measured peak / plan");
        }
    }

    [Test]
    public void LoraBasesWithoutADevicePathAreRefusedAndAutoFallsBackToTheCpu()
    {
        // int8 / NF4 (QLoRA) have no dequantizing GEMM on the CUDA backend: an explicit device refuses them up front
        var (rc, output) = EmulatorHarness.Mantis(new[]
        {
            "train", "--model_path", _runs.Model, "--train_data", _runs.TrainData, "--output_dir", _runs.Out("qlora-on-device"), "--device", "cuda",
            "--lora", "r=4,alpha=8,dropout=0,base=nf4", "--max_steps", "1", "--no-eval", "--plain",
        });
        Assert.That(rc, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("a LoRA base frozen as nf4 trains on the CPU only for now").And.Contain("base=bf16"), output);
        Assert.That(output, Does.Not.Contain("   at "));
        Assert.That(output, Does.Not.Contain("step "), "refused before the first step");
        (rc, output) = EmulatorHarness.Mantis(new[]
        {
            "train", "--model_path", _runs.Model, "--train_data", _runs.TrainData, "--output_dir", _runs.Out("qlora-auto"), "--device", "auto",
            "--lora", "r=4,alpha=8,dropout=0,base=int8", "--max_steps", "1", "--per_device_train_batch_size", "2", "--max_seq_len", "128",
            "--no-eval", "--plain",
        });
        Assert.That(rc, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("cpu (auto: a LoRA base frozen as int8 trains on the CPU only for now"), output);
    }

    private static Dictionary<string, float[]> ReadAdapter(string folder)
    {
        using var f = SafetensorsFile.Open(Path.Combine(folder, "adapter_model.safetensors"));
        return f.Names.ToDictionary(n => n, n => f.ReadFloat32(n), StringComparer.Ordinal);
    }

    private static double RelativeL2(float[] got, float[] want)
    {
        Assert.That(got, Has.Length.EqualTo(want.Length));
        double d = 0, n = 0;
        for (int i = 0; i < got.Length; i++) { d += Math.Pow(got[i] - want[i], 2); n += (double)want[i] * want[i]; }
        return Math.Sqrt(d / Math.Max(n, 1e-300));
    }
}
