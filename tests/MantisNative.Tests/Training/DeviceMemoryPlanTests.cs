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
}
