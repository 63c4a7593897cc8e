using MantisNative.IO;
using MantisNative.Models;
using MantisNative.Training;
using NUnit.Framework;

namespace MantisNative.Tests.Training;

/// <summary>The GPU memory plan's arithmetic (checked against the allocator's peak in EmulatedTrainingTests).</summary>
public class DeviceMemoryPlanTests
{
    private static string Fixture => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "tiny-siglip-llama");

    private static double Part(DeviceMemoryPlan p, string starts) => p.Parts.Single(x => x.What.StartsWith(starts, StringComparison.Ordinal)).Bytes;

    [Test]
    public void PartsFollowTheTrainedParameters()
    {
        using var loaded = ModelFiles.Load(Fixture);
        var model = loaded.Model;
        var cfg = new TrainingConfig { Train = new[] { "projector", "llm" } };
        var plan = DeviceMemoryPlan.For(model, cfg, batch: 2, tokens: 64, images: 2);
        double projectorAndLlm = model.Parameters.All.Where(p => p.Part != ModelPart.Vision).Select(p => p.Tensor).Distinct().Sum(t => (double)t.Numel);
        double all = model.Parameters.All.Select(p => p.Tensor).Distinct().Sum(t => (double)t.Numel);
        Assert.That(Part(plan, "fp32 master"), Is.EqualTo(4 * projectorAndLlm));
        Assert.That(Part(plan, "AdamW moments"), Is.EqualTo(8 * projectorAndLlm));
        Assert.That(Part(plan, "gradients"), Is.EqualTo(4 * projectorAndLlm));
        Assert.That(Part(plan, "weights (bf16)"), Is.EqualTo(2 * all), "every weight once (tied ones once), in BF16");
        Assert.That(plan.Bytes, Is.EqualTo(plan.Parts.Sum(p => p.Bytes)));

        var withVision = DeviceMemoryPlan.For(model, cfg with { Train = new[] { "projector", "llm", "vision" } }, 2, 64, 2);
        Assert.That(Part(withVision, "fp32 master"), Is.EqualTo(4 * all));
        var checkpointed = DeviceMemoryPlan.For(model, cfg with { GradientCheckpointing = true }, 2, 64, 2);
        Assert.That(Part(checkpointed, "activations"), Is.LessThan(Part(plan, "activations")));
        Assert.That(Part(DeviceMemoryPlan.For(model, cfg, 4, 64, 4), "activations"), Is.EqualTo(2 * Part(plan, "activations")).Within(1e-9 * Part(plan, "activations")), "linear in the batch");
    }

    [Test]
    public void APlanOverTheAvailableMemoryNamesWhatToChange()
    {
        using var loaded = ModelFiles.Load(Fixture);
        var cfg = new TrainingConfig { PerDeviceTrainBatchSize = 8, MaxSeqLen = 512 };
        DeviceMemoryPlan Plan(TrainingConfig c) => DeviceMemoryPlan.For(loaded.Model, c, c.PerDeviceTrainBatchSize, c.MaxSeqLen, c.PerDeviceTrainBatchSize, 40L << 20, 80L << 20, "cuda:0 (test)");
        var plan = Plan(cfg);
        Assert.That(plan.Bytes, Is.GreaterThan(40L << 20), "the case is over budget");
        var e = Assert.Throws<MantisException>(() => plan.EnsureFits(cfg, Plan))!;
        Assert.That(e.Message, Does.Contain("training on cuda:0 (test) needs about"));
        Assert.That(e.Message, Does.Contain("gradient_checkpointing true"));
        Assert.That(e.Message, Does.Contain("per_device_train_batch_size 1 with gradient_accumulation_steps 8"));
        Assert.That(e.Message, Does.Contain("train projector only"));
        Assert.DoesNotThrow(() => Plan(cfg with { PerDeviceTrainBatchSize = 1, MaxSeqLen = 16 }).EnsureFits(cfg, Plan));
        Assert.That(plan.ToText(), Does.Contain("memory plan on cuda:0 (test)"));
    }

    /// <summary>
    /// Full fine-tuning of the Mantis-8B shape (config only, nothing allocated): 8.03 B LLM + projector trained, SigLIP
    /// frozen, 2 images of 384 px in 4096 tokens, micro-batch 1, gradient checkpointing, on a 141 GB card. With fp32
    /// moments and gradients it does not fit (17 + 32 + 64 + 32 GB before activations) and the refusal names the memory
    /// options; with 8-bit moments and bf16 gradients it fits, and so with bf16 moments and bf16 gradients.
    /// </summary>
    [Test]
    public void TheMantis8BFullFineTuneFitsOne141GBCardWithTheMemoryOptionsOnly()
    {
        var c = MantisNative.Models.Config.Mantis8BConfig.Create();
        const long card = 141_000_000_000;
        var cfg = new TrainingConfig { Train = new[] { "projector", "llm" }, GradientCheckpointing = true, PerDeviceTrainBatchSize = 1, MaxSeqLen = 4096 };
        DeviceMemoryPlan Plan(TrainingConfig x) => DeviceMemoryPlan.ForConfig(c, x, 1, 4096, 2, card, card, "cuda:0 (H200, test)");
        var plain = Plan(cfg);
        TestContext.Out.WriteLine(plain.ToText());
        double trainable = Part(plain, "fp32 master") / 4;
        Assert.That(trainable, Is.InRange(8.03e9, 8.08e9), "LLM 8.03 B + projector 21 M");
        Assert.That(Part(plain, "weights (bf16)") / 2, Is.InRange(8.4e9, 8.5e9), "with SigLIP-so400m");
        Assert.That(plain.Bytes, Is.GreaterThan(card));
        var e = Assert.Throws<MantisException>(() => plain.EnsureFits(cfg, Plan))!;
        TestContext.Out.WriteLine(e.Message);
        Assert.That(e.Message, Does.Contain("optimizer_states 8bit").And.Contain("optimizer_states bf16").And.Contain("grad_dtype bf16"));
        Assert.That(e.Message, Does.Match(@"optimizer_states 8bit with grad_dtype bf16 \([\d.]+ GB, fits\)"));

        var eightBit = Plan(cfg with { OptimizerStates = MantisNative.Backends.MomentFormat.Blockwise8Bit, GradDtype = MantisNative.Tensors.DType.BF16 });
        TestContext.Out.WriteLine(eightBit.ToText());
        Assert.That(eightBit.Bytes, Is.LessThan(card));
        Assert.DoesNotThrow(() => eightBit.EnsureFits(cfg, Plan));
        // one byte per moment value plus 8 bytes of absmax per 256 values; two bytes per gradient
        Assert.That(Part(eightBit, "AdamW moments"), Is.EqualTo(2 * trainable * (1 + 4.0 / 256)).Within(1e-3 * trainable));
        Assert.That(Part(eightBit, "gradients"), Is.EqualTo(2 * trainable));
        var bf16 = Plan(cfg with { OptimizerStates = MantisNative.Backends.MomentFormat.Bf16, GradDtype = MantisNative.Tensors.DType.BF16 });
        Assert.That(Part(bf16, "AdamW moments"), Is.EqualTo(4 * trainable));
        Assert.That(bf16.Bytes, Is.LessThan(card));
        Assert.That(plain.Bytes - eightBit.Bytes, Is.EqualTo(8 * trainable - 8 * trainable / 256).Within(1e-3 * trainable),
            "the options save 8 bytes per trained value (6 of moments, 2 of gradient), less the absmax");
    }

    [Test]
    public void The8BitPlanOfALoadedModelCountsSmallTensorsAsFp32()
    {
        using var loaded = ModelFiles.Load(Fixture);
        var cfg = new TrainingConfig { Train = new[] { "projector", "llm" }, OptimizerStates = MantisNative.Backends.MomentFormat.Blockwise8Bit };
        var plan = DeviceMemoryPlan.For(loaded.Model, cfg, 2, 64, 2);
        var tensors = loaded.Model.Parameters.All.Where(p => p.Part != ModelPart.Vision).Select(p => p.Tensor).Distinct().ToList();
        double want = tensors.Sum(t => t.Numel < 4096 ? 8.0 * t.Numel : 2.0 * t.Numel + 8.0 * ((t.Numel + 255) / 256));
        Assert.That(Part(plan, "AdamW moments"), Is.EqualTo(want));
        Assert.That(tensors.Any(t => t.Numel < 4096) && tensors.Any(t => t.Numel >= 4096), Is.True, "the fixture has both kinds");
    }
}
