using MantisNative.Cli;
using MantisNative.Data.Records;
using MantisNative.Data.Synthetic;
using MantisNative.Training;
using NUnit.Framework;

namespace MantisNative.Tests.BadInput;

/// <summary>Issue 16 items 10, 12, 13, 14 and 15: flags, leftovers, replays and data that points elsewhere.</summary>
[NonParallelizable]
public class TrainingFaultTests
{
    private string _root = "";
    private string _data = "";

    [OneTimeSetUp]
    public void MakeData()
    {
        _root = Path.Combine(Path.GetTempPath(), $"mantis-faults-{Guid.NewGuid():N}");
        _data = Path.Combine(_root, "data");
        SyntheticDatasetWriter.Write(_data, new SyntheticOptions { Train = 24, HeldOut = 4, Seed = 3 });
    }

    [OneTimeTearDown]
    public void Clean()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, true);
    }

    private TrainingConfig Config(string name, int steps) => new()
    {
        TrainData = Path.Combine(_data, "train.jsonl"), OutputDir = Path.Combine(_root, name), PerDeviceTrainBatchSize = 4,
        MaxSteps = steps, SaveSteps = 0, LoggingSteps = 1, MaxSeqLen = 512, Seed = 5, Train = new[] { "projector", "llm" },
    };

    [Test]
    public void NumTrainEpochsAloneOverridesTheBuiltInMaxSteps()
    {
        // was: --num_train_epochs 1 still trained the built-in run's max_steps
        var cfg = TrainCommand.ConfigFrom(TrainCommand.Args(new[] { "--num_train_epochs", "1" }));
        Assert.That(cfg.MaxSteps, Is.EqualTo(-1));
        Assert.That(cfg.NumTrainEpochs, Is.EqualTo(1));
        Assert.That(TrainCommand.ConfigFrom(TrainCommand.Args(new[] { "--num_train_epochs", "1", "--max_steps", "7" })).MaxSteps, Is.EqualTo(7));
        Assert.That(TrainCommand.ConfigFrom(TrainCommand.Args(Array.Empty<string>())).MaxSteps, Is.EqualTo(TrainingDefaults.BuiltIn().MaxSteps), "no flags: the built-in max_steps");
    }

    [TestCase("--num_train_epochs", "-1", "num_train_epochs must be positive")]
    [TestCase("--max_steps", "0", "max_steps must be positive")]
    [TestCase("--max_steps", "99999999999999", "out of range")]
    [TestCase("--per_device_train_batch_size", "1e3", "expects an integer")]
    public void BadTrainingNumbersAreNamed(string flag, string value, string message)
    {
        var e = Assert.Throws<MantisException>(() => TrainCommand.ConfigFrom(TrainCommand.Args(new[] { flag, value })))!;
        Assert.That(e.Message, Does.Contain(message));
    }

    [Test]
    public void StaleTemporaryFoldersAreRemovedAtTheNextStartAndLiveOnesKept()
    {
        var cfg = Config("stale", 1);
        Directory.CreateDirectory(cfg.OutputDir);
        string dead = Path.Combine(cfg.OutputDir, "checkpoint-5.tmp-2147483000");      // no such process
        string ownFinal = Path.Combine(cfg.OutputDir, $"model.tmp-{Environment.ProcessId}");
        string live = Path.Combine(cfg.OutputDir, "checkpoint-6.tmp-1");                // pid 1 is running
        string other = Path.Combine(cfg.OutputDir, "checkpoint-7");
        foreach (var d in new[] { dead, ownFinal, live, other }) Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(dead, "model.safetensors"), "half");
        using (var job = TrainingJob.Create(cfg))
            Assert.That(job.RemovedTemporaries, Is.EquivalentTo(new[] { dead, ownFinal }));
        Assert.That(Directory.Exists(dead) || Directory.Exists(ownFinal), Is.False);
        Assert.That(Directory.Exists(live) && Directory.Exists(other), Is.True);
    }

    [Test]
    public void AFailedCheckpointWriteLeavesNoTemporaryFolder()
    {
        // was: one checkpoint-N.tmp-PID left after a disk-full error
        var cfg = Config("failed-write", 1);
        using var job = TrainingJob.Create(cfg);
        Directory.CreateDirectory(cfg.OutputDir);
        string target = Path.Combine(cfg.OutputDir, "checkpoint-3");
        File.WriteAllText(target, "a file where the folder must go: the final rename fails");
        var e = Assert.Throws<MantisException>(() => CheckpointWriter.Write(target, job.Model, job.Trainer.State, job.Trainer.Optimizer, null))!;
        Assert.That(e.Message, Does.Contain("checkpoint-3"));
        Assert.That(Directory.GetDirectories(cfg.OutputDir).Where(d => d.Contains(".tmp-")), Is.Empty);
    }

    [Test]
    public void ANanInAnAttentionWeightIsSeenByTheNonFiniteGuard()
    {
        // the loss is NaN now (NanPropagationTests); every such step is skipped and the run stops
        var cfg = Config("nan-qproj", 10) with { MaxBadStepsInARow = 2 };
        using var job = TrainingJob.Create(cfg);
        job.Model.Parameters["language_model.model.layers.0.self_attn.q_proj.weight"].Tensor.Span[3] = float.NaN;
        var logs = new List<TrainingLog>();
        job.Trainer.Logged += logs.Add;
        Assert.That(job.Trainer.Run(), Is.EqualTo(TrainingOutcome.TooManyBadSteps));
        Assert.That(logs.Select(l => l.Skipped), Is.EqualTo(new[] { true, true }));
    }

    [Test]
    public void MetricsOfReplayedStepsAreKeptOnce()
    {
        var path = Path.Combine(_root, MetricsFile.FileName);
        File.WriteAllLines(path, Enumerable.Range(1, 8).Select(s => $"{{\"step\":{s},\"loss\":1.0}}").Append("not json"));
        MetricsFile.TrimAfterStep(path, 5);
        Assert.That(File.ReadAllLines(path), Is.EqualTo(Enumerable.Range(1, 5).Select(s => $"{{\"step\":{s},\"loss\":1.0}}").Append("not json")));
    }

    [Test]
    public void ResumedCliRunWritesEachStepOnceInMetrics()
    {
        // was: 86 lines for 60 steps after a kill and a resume
        var cfg = Config("resume-metrics", 4) with { SaveSteps = 2 };
        var args = new[] { "--train_data", cfg.TrainData!, "--output_dir", cfg.OutputDir, "--max_steps", "4", "--save_steps", "2",
            "--per_device_train_batch_size", "4", "--logging_steps", "1", "--train", "projector", "--max_seq_len", "512", "--plain" , "--no-eval"};
        var first = Cli.CliRun.Run(new[] { "train" }.Concat(args).ToArray());
        Assert.That(first.Code, Is.EqualTo(0), first.Err);
        // as if killed after step 4 was logged but only checkpoint-2 had been written
        var second = Cli.CliRun.Run(new[] { "train" }.Concat(args).Concat(new[] { "--resume", Path.Combine(cfg.OutputDir, "checkpoint-2") }).ToArray());
        Assert.That(second.Code, Is.EqualTo(0), second.Err);
        var steps = File.ReadAllLines(Path.Combine(cfg.OutputDir, MetricsFile.FileName))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()).ToList();
        Assert.That(steps, Is.EqualTo(new[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void CancelledBeforeTheFirstStepWritesNoCheckpointAndNoModel()
    {
        // was: checkpoint-0 and model/ for a model that took no step
        var cfg = Config("cancel-early", 5);
        using var job = TrainingJob.Create(cfg);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.That(job.Run(cts.Token), Is.EqualTo(TrainingOutcome.Cancelled));
        Assert.That(job.Trainer.StepsThisRun, Is.EqualTo(0));
        Assert.That(Directory.Exists(Path.Combine(cfg.OutputDir, "checkpoint-0")), Is.False);
        Assert.That(Directory.Exists(Path.Combine(cfg.OutputDir, TrainingJob.FinalFolder)), Is.False);
    }

    [Test]
    public void ImagePathsOutsideTheDataFolderAreSkippedUnlessAllowed()
    {
        string dir = Path.Combine(_root, "escape", "set");
        Directory.CreateDirectory(dir);
        var img = Directory.GetFiles(Path.Combine(_data, "images"), "*.png", SearchOption.AllDirectories)[0];
        File.Copy(img, Path.Combine(_root, "escape", "outside.png"), overwrite: true);
        File.Copy(img, Path.Combine(dir, "inside.png"), overwrite: true);
        string Rec(string id, string path) => $"{{\"id\":\"{id}\",\"images\":[\"{path}\"],\"conversation\":[{{\"role\":\"user\",\"content\":\"<image> what?\"}},{{\"role\":\"assistant\",\"content\":\"a\"}}]}}";
        var file = Path.Combine(dir, "r.jsonl");
        File.WriteAllLines(file, new[] { Rec("in", "inside.png"), Rec("up", "../outside.png"), Rec("abs", Path.Combine(_root, "escape", "outside.png")), Rec("etc", "/etc/passwd") });

        var kept = RecordReader.ReadAll(file, out var report);
        Assert.That(kept.Select(r => r.Id), Is.EqualTo(new[] { "in" }));
        Assert.That(report.Count(RecordProblemKind.ImagePathOutsideRoot), Is.EqualTo(3));
        Assert.That(report.Examples(RecordProblemKind.ImagePathOutsideRoot).Any(x => x.Contains("../outside.png")), Is.True);

        var allowed = RecordReader.ReadAll(file, out var r2, new RecordReaderOptions { AllowExternalImagePaths = true });
        Assert.That(allowed.Select(r => r.Id), Is.EqualTo(new[] { "in", "up", "abs" }), "/etc/passwd is then refused as not an image");
        Assert.That(TrainCommand.ConfigFrom(TrainCommand.Args(new[] { "--allow_external_image_paths", "true" })).AllowExternalImagePaths, Is.True);
    }
}
