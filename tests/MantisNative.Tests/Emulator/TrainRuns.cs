using System.Globalization;
using System.Text.Json;
using MantisNative.Data.Synthetic;
using MantisNative.Training;
using NUnit.Framework;

namespace MantisNative.Tests.Emulator;

/// <summary>One logged step of a `mantis train` run (metrics.jsonl); device fields are 0 / NaN on the CPU.</summary>
internal sealed record TrainRow(int Step, double Loss, double GradNorm, long Peak, long Planned, double SyncUploads = 0, double SyncReads = 0, double StagedUploads = 0);

/// <summary>
/// Short `mantis train` runs in child processes (the emulated device needs its own process), shared by the emulated
/// training test fixtures: a synthetic data set, the built-in tiny model saved as a Hugging Face folder, and the runs'
/// exit codes, output and metrics by name. Every run uses the same small settings, so the fixtures compare like with like.
/// </summary>
internal sealed class TrainRuns : IDisposable
{
    private readonly Dictionary<string, (int Rc, string Out)> _runs = new();

    public string Root { get; }
    public string TrainData { get; }
    public string Model { get; set; }

    public TrainRuns(string tag)
    {
        EmulatorHarness.Library();
        Root = Path.Combine(Path.GetTempPath(), $"mantis-emu-{tag}-{Guid.NewGuid():N}");
        var data = Path.Combine(Root, "data");
        SyntheticDatasetWriter.Write(data, new SyntheticOptions { Train = 40, HeldOut = 4, Seed = 7 });
        TrainData = Path.Combine(data, "train.jsonl");
        Model = MakeModelFolder(Path.Combine(Root, "seed-model"));
    }

    /// <summary>The built-in tiny model (random weights, BPE tokenizer of the data) as a Hugging Face folder.</summary>
    private string MakeModelFolder(string output)
    {
        var cfg = new TrainingConfig { TrainData = TrainData, OutputDir = output, MaxSteps = 1, PerDeviceTrainBatchSize = 2, Device = "cpu", SaveSteps = 0 };
        using (var job = TrainingJob.Create(cfg)) job.SaveFinal();
        return Path.Combine(output, TrainingJob.FinalFolder);
    }

    public string Out(string run, string? sub = null) => sub is null ? Path.Combine(Root, run) : Path.Combine(Root, run, sub);

    /// <summary>Trains <see cref="Model"/> on <see cref="TrainData"/> on <paramref name="device"/> into <see cref="Out"/>(name).</summary>
    public void Run(string name, string device, params string[] extra)
    {
        var args = new List<string>
        {
            "train", "--model_path", Model, "--train_data", TrainData, "--output_dir", Out(name), "--device", device,
            "--per_device_train_batch_size", "2", "--max_seq_len", "128", "--logging_steps", "1", "--learning_rate", "2e-3",
            "--warmup_ratio", "0", "--seed", "5", "--no-eval", "--plain",
        };
        args.AddRange(extra);
        var dll = Path.Combine(TestContext.CurrentContext.TestDirectory, "mantis.dll");
        var env = device == "cpu" ? new Dictionary<string, string>() : EmulatorHarness.Environment();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        _runs[name] = EmulatorHarness.Run("dotnet", new[] { dll }.Concat(args).ToArray(), env, 600);
        TestContext.Progress.WriteLine($"{name}: {clock.Elapsed.TotalSeconds:F0} s (load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
    }

    /// <summary>The run's exit code and output, asserting it succeeded.</summary>
    public (int Rc, string Out) Ok(string name)
    {
        var r = _runs[name];
        Assert.That(r.Rc, Is.EqualTo(0), $"{name}:\n{r.Out}");
        return r;
    }

    public List<TrainRow> Metrics(string name)
    {
        Ok(name);
        return File.ReadAllLines(Out(name, MetricsFile.FileName)).Where(l => l.Length > 0).Select(l =>
        {
            using var d = JsonDocument.Parse(l);
            var r = d.RootElement;
            long Get(string k) => r.TryGetProperty(k, out var v) ? v.GetInt64() : 0;
            double Num(string k) => r.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;
            return new TrainRow(r.GetProperty("step").GetInt32(), r.GetProperty("loss").GetDouble(), r.GetProperty("grad_norm").GetDouble(),
                Get("peak_device_bytes"), Get("planned_device_bytes"), Num("sync_uploads_per_step"), Num("sync_reads_per_step"), Num("staged_uploads_per_step"));
        }).ToList();
    }

    /// <summary>Same logged steps, each loss within <paramref name="tolerance"/> relative of <paramref name="want"/>'s.</summary>
    public static void AssertLossesClose(IEnumerable<TrainRow> got, IEnumerable<TrainRow> want, string what, double tolerance)
    {
        var g = got.ToList();
        var w = want.ToList();
        Assert.That(g.Select(r => r.Step), Is.EqualTo(w.Select(r => r.Step)), what);
        for (int i = 0; i < g.Count; i++)
        {
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{what}: step {g[i].Step} loss {g[i].Loss:R} vs {w[i].Loss:R} (rel {Math.Abs(g[i].Loss - w[i].Loss) / Math.Abs(w[i].Loss):E2})"));
            Assert.That(g[i].Loss, Is.EqualTo(w[i].Loss).Within(tolerance * Math.Abs(w[i].Loss)), $"{what}: step {g[i].Step}");
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(Root)) Directory.Delete(Root, true);
    }
}
