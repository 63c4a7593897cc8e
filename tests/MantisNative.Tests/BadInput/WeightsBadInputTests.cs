using MantisNative.IO;
using MantisNative.Models;
using MantisNative.Models.Config;
using MantisNative.Tensors;
using MantisNative.Tests.Cli;
using NUnit.Framework;

namespace MantisNative.Tests.BadInput;

/// <summary>Issue 16 items 6 and 9, and the memory guard: checkpoints that used to hang, load silently or abort.</summary>
public class WeightsBadInputTests
{
    /// <summary>Rewrites model.safetensors with every fixture tensor plus what <paramref name="change"/> adds or replaces.</summary>
    private static void RewriteWeights(ModelFolder m, Action<SafetensorsWriter, SafetensorsFile> change, string? replace = null)
    {
        var w = new SafetensorsWriter();
        using var src = SafetensorsFile.Open(Path.Combine(m.Fixture, "model.safetensors"));
        foreach (var n in src.Names.Where(n => n != replace)) w.AddFrom(src, n);
        change(w, src);
        w.Save(m.WeightsPath); // AddFrom reads the source while saving
    }

    [Test]
    public void AFifoAsModelSafetensorsIsRefusedInsteadOfBlocking()
    {
        // was: `forward` blocked forever in open(2)
        using var m = new ModelFolder();
        File.Delete(m.WeightsPath);
        using (var p = System.Diagnostics.Process.Start("mkfifo", m.WeightsPath)) p.WaitForExit();
        var run = Task.Run(() => Assert.Throws<MantisException>(() => ModelFiles.Load(m.Dir))!.Message);
        Assert.That(run.Wait(TimeSpan.FromSeconds(30)), Is.True, "returned instead of blocking");
        Assert.That(run.Result, Does.Contain("model.safetensors").And.Contain("not a regular file"));
    }

    [Test]
    public void SurplusTensorsAreAnErrorNamingThemUnlessAllowed()
    {
        using var m = new ModelFolder();
        RewriteWeights(m, (w, src) =>
        {
            w.AddFrom(src, "language_model.model.layers.1.mlp.up_proj.weight", "language_model.model.layers.2.mlp.up_proj.weight");
            w.AddFloat32("some.unknown.tensor", [2], new[] { 1f, 2f });
        });
        var e = Assert.Throws<MantisException>(() => ModelFiles.Load(m.Dir))!;
        Assert.That(e.Message, Does.Contain("language_model.model.layers.2.mlp.up_proj.weight").And.Contain("some.unknown.tensor").And.Contain("--allow-unused-weights"));

        var warnings = new List<string>();
        using var loaded = ModelFiles.Load(m.Dir, new ModelLoadOptions { AllowUnusedWeights = true, Warn = warnings.Add });
        Assert.That(warnings, Has.Count.EqualTo(1));
        Assert.That(warnings[0], Does.StartWith("warning: ").And.Contain("some.unknown.tensor"));
        Assert.That(loaded.Extras.Select(x => x.Name), Is.SupersetOf(new[] { "language_model.model.layers.2.mlp.up_proj.weight", "some.unknown.tensor" }), "kept for the round trip");

        var r = CliRun.Run("forward", "--model", m.Dir, "--inputs", m.Inputs, "--output", Path.Combine(m.Dir, "o.safetensors"));
        CliRun.AssertOneLineError(r, "some.unknown.tensor");
        r = CliRun.Run("forward", "--model", m.Dir, "--inputs", m.Inputs, "--output", Path.Combine(m.Dir, "o.safetensors"), "--allow-unused-weights");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Err, Does.Contain("warning:"));
    }

    [Test]
    public void LoweringNumHiddenLayersBelowTheFileIsAnError()
    {
        using var m = new ModelFolder().EditConfig(c => c["text_config"]!.AsObject()["num_hidden_layers"] = 1);
        var e = Assert.Throws<MantisException>(() => ModelFiles.Load(m.Dir))!;
        Assert.That(e.Message, Does.Contain("language_model.model.layers.1."));
    }

    [Test]
    public void SiglipPoolingHeadIsKnownUnusedAndLoadsQuietly()
    {
        // the fixture (transformers' own save) holds SiglipVisionModel's attention-pooling head, which Llava never reads
        using var m = new ModelFolder();
        var warnings = new List<string>();
        using var loaded = ModelFiles.Load(m.Dir, new ModelLoadOptions { Warn = warnings.Add });
        Assert.That(warnings, Is.Empty);
        Assert.That(loaded.Extras.Select(x => x.Name), Is.Not.Empty.And.All.StartWith("vision_tower.vision_model.head."));
    }

    [TestCase(DType.I64)]
    [TestCase(DType.Bool)]
    [TestCase(DType.I32)]
    public void IntegerOrBoolWeightsAreRefused(DType dtype)
    {
        const string name = "multi_modal_projector.linear_1.bias";
        using var m = new ModelFolder();
        RewriteWeights(m, (w, src) => w.Add(name, dtype, src.GetInfo(name).Shape, new byte[64 * dtype.SizeOf()]), replace: name);
        var e = Assert.Throws<MantisException>(() => ModelFiles.Load(m.Dir))!;
        Assert.That(e.Message, Does.Contain(name).And.Contain(dtype.ToString()));
    }

    [Test]
    public void MemoryPlanNamesTheConfigValuesThatMakeTheModelLarge()
    {
        var cfg = TinyModelConfig.Create(320, 318, 319, 1, 2);
        var big = cfg with { Text = cfg.Text with { NumHiddenLayers = 100_000, HiddenSize = 1024, IntermediateSize = 4096, HeadDim = 64, NumAttentionHeads = 16, NumKeyValueHeads = 16 } };
        var plan = ModelMemoryPlan.For(big);
        Assert.That(plan.Bytes, Is.GreaterThan(1e12), "about 100k layers x 17M floats x 4 bytes");
        var e = Assert.Throws<MantisException>(() => plan.EnsureFits(8L << 30, "config.json"))!;
        Assert.That(e.Message, Does.Contain("config.json").And.Contain("text_config.num_hidden_layers 100000").And.Contain("8.59 GB"));
        Assert.DoesNotThrow(() => ModelMemoryPlan.For(cfg).EnsureFits(8L << 30, "config.json"), "the tiny model fits");

        var wide = cfg with { Text = cfg.Text with { VocabSize = 1_000_000_000, HiddenSize = 64 } };
        Assert.That(Assert.Throws<MantisException>(() => ModelMemoryPlan.For(wide).EnsureFits(long.MaxValue, "c"))!.Message,
            Does.Contain("text_config.vocab_size 1000000000"), "one tensor over int.MaxValue values");
    }

    [Test]
    public void ActivationPlanRefusesABatchThatCannotFit()
    {
        var cfg = TinyModelConfig.Create(128_000, 318, 319, 1, 2);
        var e = Assert.Throws<MantisException>(() => ActivationMemoryPlan.EnsureFits(cfg, 64, 8192, 0, recording: true, 16L << 30))!;
        Assert.That(e.Message, Does.Contain("batch 64 x 8192 tokens").And.Contain("vocab_size 128000").And.Contain("max_seq_len"));
        Assert.DoesNotThrow(() => ActivationMemoryPlan.EnsureFits(cfg, 2, 64, 1, recording: true, 16L << 30));
    }

    [Test]
    public void AvailableMemoryIsPositiveAndBounded()
    {
        long b = MemoryBudget.AvailableHostBytes();
        Assert.That(b, Is.GreaterThan(0).And.LessThanOrEqualTo(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes));
    }
}
