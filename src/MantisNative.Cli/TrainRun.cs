using System.Globalization;
using MantisNative.Training;

namespace MantisNative.Cli;

/// <summary>Runs a training job and shows it: progress lines, metrics.jsonl, a final summary.</summary>
public static class TrainRun
{
    public static int Execute(TrainingConfig cfg, string? resume, bool evaluate, bool plain, CancellationToken cancel)
    {
        TrainingJob.Status += s => Console.WriteLine($"· {s}");
        using var job = TrainingJob.Create(cfg, resume);
        Console.WriteLine($"· {job.TrainRecords.Count} training records ({job.TrainReport.Skipped} skipped), {job.Model.Parameters.All.Sum(p => p.Tensor.Numel):N0} parameters, {job.TotalSteps} steps of {cfg.PerDeviceTrainBatchSize * cfg.GradientAccumulationSteps} examples");
        if (job.TrainReport.Skipped > 0) Console.WriteLine(job.TrainReport.ToTable());
        Directory.CreateDirectory(cfg.OutputDir);
        using var metrics = new StreamWriter(Path.Combine(cfg.OutputDir, "metrics.jsonl"), append: true);
        job.Trainer.Logged += log =>
        {
            metrics.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"step\":{log.Step},\"loss\":{Num(log.Loss)},\"learning_rate\":{log.LearningRate:G6},\"grad_norm\":{Num(log.GradNorm)},\"skipped\":{(log.Skipped ? "true" : "false")},\"tokens_per_second\":{log.TokensPerSecond:F1},\"images_per_second\":{log.ImagesPerSecond:F1},\"elapsed_seconds\":{log.Elapsed.TotalSeconds:F1}}}"));
            metrics.Flush();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"step {log.Step,5}/{log.TotalSteps}  loss {log.Loss,8:F4}  lr {log.LearningRate:E2}  |g| {log.GradNorm,7:F3}  {log.TokensPerSecond,7:F0} tok/s  {log.ImagesPerSecond,6:F0} img/s  elapsed {log.Elapsed:mm\\:ss}  eta {log.Eta:mm\\:ss}{(log.Skipped ? "  SKIPPED (non-finite)" : "")}"));
        };
        var outcome = job.Run(cancel);
        string final = Path.Combine(cfg.OutputDir, TrainingJob.FinalFolder);
        Console.WriteLine(outcome switch
        {
            TrainingOutcome.Cancelled => $"stopped at step {job.Trainer.State.Step}: checkpoint saved; continue with --resume {Path.Combine(cfg.OutputDir, $"checkpoint-{job.Trainer.State.Step}")}",
            TrainingOutcome.TooManyBadSteps => $"stopped: {cfg.MaxBadStepsInARow} non-finite losses in a row at step {job.Trainer.State.Step}",
            _ => $"done: {job.Trainer.State.Step} steps; model in {final}",
        });
        return outcome == TrainingOutcome.TooManyBadSteps ? 3 : outcome == TrainingOutcome.Cancelled ? 130 : 0;
    }

    private static string Num(double v) => double.IsFinite(v) ? v.ToString("G9", CultureInfo.InvariantCulture) : "null";
}
