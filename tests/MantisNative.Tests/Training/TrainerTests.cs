using MantisNative.Cli;
using MantisNative.Data.Synthetic;
using MantisNative.Tensors;
using MantisNative.Training;
using NUnit.Framework;

namespace MantisNative.Tests.Training;

/// <summary>End-to-end trainer behaviour on a small synthetic set with the built-in tiny model (a few steps each).</summary>
[NonParallelizable]
public class TrainerTests
{
    private string _root = "";
    private string _data = "";

    [OneTimeSetUp]
    public void MakeData()
    {
        _root = Path.Combine(Path.GetTempPath(), $"mantis-trainer-{Guid.NewGuid():N}");
        _data = Path.Combine(_root, "data");
        SyntheticDatasetWriter.Write(_data, new SyntheticOptions { Train = 60, HeldOut = 15, Seed = 7 });
    }

    [OneTimeTearDown]
    public void Clean()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    private TrainingConfig Config(string name, int steps) => new TrainingConfig
    {
        TrainData = Path.Combine(_data, "train.jsonl"),
        OutputDir = Path.Combine(_root, name),
        PerDeviceTrainBatchSize = 4,
        MaxSteps = steps,
        LearningRate = 2e-3,
        SaveSteps = 0,
        LoggingSteps = 1,
        MaxSeqLen = 512,
        Seed = 11,
        Train = new[] { "projector", "llm", "vision" },
    };

    private static (List<double> Losses, TrainingOutcome Outcome) Train(TrainingConfig cfg, string? resume = null, Action<TrainingLog, CancellationTokenSource>? onLog = null)
    {
        using var job = TrainingJob.Create(cfg, resume);
        var losses = new List<double>();
        using var cts = new CancellationTokenSource();
        job.Trainer.Logged += l => { losses.Add(l.Loss); onLog?.Invoke(l, cts); };
        var outcome = job.Run(cts.Token);
        return (losses, outcome);
    }

    [Test]
    public void SameSeedAndConfigGiveTheSameLossSequence()
    {
        var a = Train(Config("det-a", 4)).Losses;
        var b = Train(Config("det-b", 4)).Losses;
        Assert.That(a, Has.Count.EqualTo(4));
        Assert.That(b, Is.EqualTo(a), "bit-identical losses");
        Assert.That(a.All(double.IsFinite), Is.True);
    }

    [Test]
    public void ResumeContinuesTheUninterruptedLossSequence()
    {
        var full = Train(Config("full", 6)).Losses;
        var first = Config("split", 6) with { SaveSteps = 3 };
        var part = Train(first, onLog: (l, cts) => { if (l.Step == 3) cts.Cancel(); });
        Assert.That(part.Outcome, Is.EqualTo(TrainingOutcome.Cancelled));
        string ckpt = Path.Combine(first.OutputDir, "checkpoint-3");
        Assert.That(File.Exists(Path.Combine(ckpt, TrainerState.StateFile)), Is.True);
        var rest = Train(first, resume: ckpt).Losses;
        Assert.That(part.Losses.Concat(rest), Is.EqualTo(full));
    }

    [Test]
    public void CancellationSavesACheckpointAndAFinalModel()
    {
        var cfg = Config("cancel", 50);
        var (losses, outcome) = Train(cfg, onLog: (l, cts) => { if (l.Step == 2) cts.Cancel(); });
        Assert.That(outcome, Is.EqualTo(TrainingOutcome.Cancelled));
        Assert.That(losses, Has.Count.EqualTo(2));
        string ckpt = Path.Combine(cfg.OutputDir, "checkpoint-2");
        foreach (var f in new[] { "config.json", "model.safetensors", "tokenizer.json", "preprocessor_config.json", TrainerState.StateFile, TrainerState.OptimizerFile })
            Assert.That(File.Exists(Path.Combine(ckpt, f)), Is.True, f);
        Assert.That(Directory.GetDirectories(cfg.OutputDir).Where(d => d.Contains(".tmp-")), Is.Empty, "no temporary folder left");
        Assert.That(File.Exists(Path.Combine(cfg.OutputDir, TrainingJob.FinalFolder, "model.safetensors")), Is.True);
    }

    [Test]
    public void NonFiniteLossesAreSkippedAndStopTheRunAfterTooManyInARow()
    {
        var cfg = Config("nan", 20) with { MaxBadStepsInARow = 3 };
        using var job = TrainingJob.Create(cfg);
        var head = job.Model.Language.LmHead;
        head.Span[0] = float.NaN; // every logit row touching token 0 becomes NaN, so every loss does
        var before = job.Model.Parameters["multi_modal_projector.linear_1.weight"].Tensor.ToArray();
        var logs = new List<TrainingLog>();
        job.Trainer.Logged += logs.Add;
        var outcome = job.Trainer.Run();
        Assert.That(outcome, Is.EqualTo(TrainingOutcome.TooManyBadSteps));
        Assert.That(logs.Select(l => l.Skipped), Is.EqualTo(new[] { true, true, true }));
        Assert.That(job.Model.Parameters["multi_modal_projector.linear_1.weight"].Tensor.ToArray(), Is.EqualTo(before), "skipped steps change nothing");
        Assert.That(job.Model.TrainableParameters.All(p => p.Tensor.Grad is null), Is.True, "gradients of a skipped step are dropped");
    }

    [Test]
    public void LearningRateSchedulesFollowTransformers()
    {
        var cos = new LrSchedule(LrSchedulerType.Cosine, 1.0, 100, 0.1);
        Assert.That(cos.WarmupSteps, Is.EqualTo(10));
        Assert.That(cos.At(0), Is.EqualTo(0.0));
        Assert.That(cos.At(5), Is.EqualTo(0.5).Within(1e-12));
        Assert.That(cos.At(10), Is.EqualTo(1.0).Within(1e-12));
        Assert.That(cos.At(55), Is.EqualTo(0.5).Within(1e-12), "half way through the decay");
        Assert.That(cos.At(100), Is.EqualTo(0.0).Within(1e-12));
        var lin = new LrSchedule(LrSchedulerType.Linear, 2.0, 10, 0.0);
        Assert.That(lin.At(0), Is.EqualTo(2.0));
        Assert.That(lin.At(5), Is.EqualTo(1.0).Within(1e-12));
        var con = new LrSchedule(LrSchedulerType.Constant, 3.0, 10, 0.0);
        Assert.That(con.At(9), Is.EqualTo(3.0));
        Assert.That(new LrSchedule(LrSchedulerType.Cosine, 1.0, 3, 0.03).WarmupSteps, Is.EqualTo(1), "ceil(0.09) = 1, as transformers");
    }

    [Test]
    public void ClippingScalesToTheMaximumGlobalNorm()
    {
        using var a = Tensor.Zeros(2);
        using var b = Tensor.Zeros(1);
        a.Grad = Tensor.FromArray(new[] { 3f, 0f }, 2);
        b.Grad = Tensor.FromArray(new[] { 4f }, 1);
        double norm = GradientClipping.Clip(new[] { a, b }, 1.0);
        Assert.That(norm, Is.EqualTo(5.0).Within(1e-9));
        Assert.That(a.Grad.Span[0], Is.EqualTo(3f / 5f).Within(1e-6f));
        Assert.That(b.Grad.Span[0], Is.EqualTo(4f / 5f).Within(1e-6f));
        Assert.That(GradientClipping.Clip(new[] { a, b }, 10.0), Is.EqualTo(1.0).Within(1e-6), "below the limit: unchanged");
        Assert.That(a.Grad.Span[0], Is.EqualTo(0.6f).Within(1e-6f));
    }

    [Test]
    public void TrainCliRejectsBadInputWithOneLine()
    {
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        try
        {
            Assert.That(CliApp.Run(new[] { "train", "--no-such-flag", "1" }), Is.EqualTo(2), "a flag train does not take is a usage error");
            Assert.That(CliApp.Run(new[] { "train", "--learning_rate", "fast" }), Is.EqualTo(1));
            Assert.That(CliApp.Run(new[] { "train", "--config", "/nonexistent/train.json" }), Is.EqualTo(1));
            Assert.That(CliApp.Run(new[] { "train", "--lr_scheduler_type", "wavy" }), Is.EqualTo(1));
            Assert.That(CliApp.Run(new[] { "train", "--output_dir", "/proc/forbidden/run" }), Is.EqualTo(1));
            string bad = Path.Combine(_root, "bad.json");
            File.WriteAllText(bad, "{\"learning_rate\": 1e-3, \"warmup_steps\": 5}");
            Assert.That(CliApp.Run(new[] { "train", "--config", bad }), Is.EqualTo(1));
        }
        finally { Console.SetError(saved); }
        var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(6), err.ToString());
        Assert.That(lines[0], Does.Contain("--no-such-flag"));
        Assert.That(lines[1], Does.Contain("learning_rate").And.Contain("fast"));
        Assert.That(lines[2], Does.Contain("/nonexistent/train.json"));
        Assert.That(lines[3], Does.Contain("wavy"));
        Assert.That(lines[4], Does.Contain("/proc/forbidden"));
        Assert.That(lines[5], Does.Contain("warmup_steps").And.Contain("bad.json"));
        Assert.That(err.ToString(), Does.Not.Contain("   at "));
    }
}
