using System.Globalization;
using MantisNative.Tensors;
using MantisNative.Training;
using Spectre.Console;

namespace MantisNative.Cli;

/// <summary>Runs a training job and shows it: progress lines, metrics.jsonl, a final summary.</summary>
public static class TrainRun
{
    public static int Execute(TrainingConfig cfg, string? resume, bool evaluate, bool plain, CancellationToken cancel)
    {
        TrainingJob.Status += s => Console.WriteLine($"· {s}");
        using var job = TrainingJob.Create(cfg, resume);
        cfg = job.Config;   // a resumed LoRA checkpoint brings its own LoRA options (the command line has none)
        Console.WriteLine($"· device: {job.Trainer.DeviceNote}");
        if (job.MemoryPlan is { } plan) Console.WriteLine(plan.ToText());
        Console.WriteLine($"· {job.TrainRecords.Count} training records ({job.TrainReport.Skipped} skipped), {job.Model.Parameters.All.Sum(p => p.Tensor.Numel):N0} parameters, {job.TotalSteps} steps of {cfg.PerDeviceTrainBatchSize * cfg.GradientAccumulationSteps} examples");
        if (job.Lora is { } lora)
            Console.WriteLine($"· LoRA{(lora.Settings.UseDora ? " (DoRA)" : "")}: {lora.Count} modules, {lora.ParameterCount:N0} trainable parameters ({cfg.Lora}); {(job.Trainer.Device.IsCuda ? $"base frozen in bf16 on {job.Trainer.Device}" : $"base frozen in {Tensors.WeightFormatInfo.Name(cfg.Lora!.Base)} ({job.Model.Parameters.Frozen.Sum(f => f.Matrix.ByteSize) / 1e6:F0} MB of frozen matrices)")}, from {job.LoraBaseFolder}");
        if (job.TrainReport.Skipped > 0) Console.WriteLine(job.TrainReport.ToTable());
        foreach (var t in job.RemovedTemporaries) Console.WriteLine($"· removed {t}, left by an interrupted write");
        Directory.CreateDirectory(cfg.OutputDir);
        Evaluation.EvalReport? before = null;
        if (evaluate && job.EvalData is not null && resume is null)
        {
            Console.WriteLine($"· evaluating the untrained model on {job.EvalData}");
            before = job.EvaluateHeldOut(Path.Combine(cfg.OutputDir, "eval-untrained.jsonl"));
            Console.WriteLine($"· untrained: {100 * before!.Overall.Accuracy:F1} % overall ({before.Seconds:F0} s)");
        }
        // a resumed run continues its metrics; a fresh run in the same folder starts them anew
        var metricsPath = Path.Combine(cfg.OutputDir, MetricsFile.FileName);
        if (resume is not null) MetricsFile.TrimAfterStep(metricsPath, job.Trainer.State.Step); // replayed steps are logged once
        using var metrics = new StreamWriter(metricsPath, append: resume is not null);
        job.Trainer.Logged += log =>
        {
            metrics.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"step\":{log.Step},\"loss\":{Num(log.Loss)},\"learning_rate\":{log.LearningRate:G6},\"grad_norm\":{Num(log.GradNorm)},\"skipped\":{(log.Skipped ? "true" : "false")},\"tokens_per_second\":{log.TokensPerSecond:F1},\"images_per_second\":{log.ImagesPerSecond:F1},\"elapsed_seconds\":{log.Elapsed.TotalSeconds:F1},\"data_wait_fraction\":{log.DataWaitFraction:F3},\"forward_seconds\":{log.ForwardSeconds:F1},\"backward_seconds\":{log.BackwardSeconds:F1},\"optimizer_seconds\":{log.OptimizerSeconds:F1}{DeviceFields(log)}}}"));
            metrics.Flush();
            if (plain) Console.WriteLine(Line(log));
        };
        TrainingOutcome outcome;
        if (plain) outcome = job.Run(cancel);
        else
        {
            outcome = TrainingOutcome.Completed;
            AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"step 0/{job.TotalSteps}", maxValue: job.TotalSteps);
                    task.Value = job.Trainer.State.Step;
                    job.Trainer.Logged += log =>
                    {
                        task.Value = log.Step;
                        task.Description = Markup.Escape(Line(log));
                    };
                    outcome = job.Run(cancel);
                });
        }
        if (outcome == TrainingOutcome.Cancelled && job.Trainer.StepsThisRun == 0)
        {
            Console.WriteLine($"stopped before the first step: nothing trained, nothing saved");
            return 130;
        }
        var curve = Path.Combine(cfg.OutputDir, "loss_curve.png");
        LossCurvePlot.Save(job.Trainer.State.Losses, curve, $"training loss ({job.Trainer.State.Step} steps)");
        Console.WriteLine($"loss curve: {curve}");
        string final = Path.Combine(cfg.OutputDir, job.Lora is null ? TrainingJob.FinalFolder : LoraTraining.AdapterFolder);
        Console.WriteLine(outcome switch
        {
            TrainingOutcome.Cancelled => $"stopped at step {job.Trainer.State.Step}: checkpoint saved; continue with --resume {Path.Combine(cfg.OutputDir, $"checkpoint-{job.Trainer.State.Step}")}",
            TrainingOutcome.TooManyBadSteps => $"stopped: {cfg.MaxBadStepsInARow} non-finite losses in a row at step {job.Trainer.State.Step}",
            _ => job.Lora is null ? $"done: {job.Trainer.State.Step} steps; model in {final}"
                : $"done: {job.Trainer.State.Step} steps; adapter (PEFT layout) in {final}{(cfg.Lora!.WriteMerged ? $", merged model in {Path.Combine(cfg.OutputDir, TrainingJob.FinalFolder)}" : $" (merge: mantis merge --model {job.LoraBaseFolder} --adapter {final} --output DIR)")}",
        });
        if (evaluate && job.EvalData is not null && outcome != TrainingOutcome.TooManyBadSteps)
        {
            Console.WriteLine($"· evaluating the trained model on {job.EvalData}");
            var after = job.EvaluateHeldOut(Path.Combine(cfg.OutputDir, "eval-trained.jsonl"))!;
            if (before is not null)
            {
                var cmp = new HeldOutComparison(before, after);
                cmp.Save(Path.Combine(cfg.OutputDir, "eval_summary.json"));
                File.WriteAllText(Path.Combine(cfg.OutputDir, "eval_summary.md"), cmp.ToMarkdown());
                Summary(cmp, plain);
            }
            else Console.WriteLine(after.ToTable());
        }
        return outcome == TrainingOutcome.TooManyBadSteps ? 3 : outcome == TrainingOutcome.Cancelled ? 130 : 0;
    }

    /// <summary>The per-family table: chance, untrained, trained (held-out data).</summary>
    private static void Summary(HeldOutComparison cmp, bool plain)
    {
        if (plain)
        {
            Console.WriteLine(cmp.ToMarkdown());
            return;
        }
        var t = new Table().Title("held-out accuracy").AddColumns("skill", "family", "n", "chance", "untrained", "trained");
        foreach (var r in cmp.Rows())
        {
            string trained = r.After.ToString("P1", CultureInfo.InvariantCulture);
            if (r.Chance is double c && r.After >= c + 0.2) trained = $"[green]{trained}[/]";
            t.AddRow(r.Skill, r.Family, r.Count.ToString(CultureInfo.InvariantCulture), r.Chance?.ToString("P1", CultureInfo.InvariantCulture) ?? "-",
                r.Before.ToString("P1", CultureInfo.InvariantCulture), trained);
        }
        t.AddRow("all", "overall", cmp.Trained.Overall.Count.ToString(CultureInfo.InvariantCulture), "",
            cmp.Untrained.Overall.Accuracy.ToString("P1", CultureInfo.InvariantCulture), cmp.Trained.Overall.Accuracy.ToString("P1", CultureInfo.InvariantCulture));
        AnsiConsole.Write(t);
    }

    private static string Line(TrainingLog log) => string.Create(CultureInfo.InvariantCulture,
        $"step {log.Step,5}/{log.TotalSteps}  loss {log.Loss,8:F4}  lr {log.LearningRate:E2}  |g| {log.GradNorm,7:F3}  {log.TokensPerSecond,6:F0} tok/s  {log.ImagesPerSecond,5:F0} img/s  elapsed {log.Elapsed:mm\\:ss}  eta {log.Eta:mm\\:ss}{(log.PeakDeviceBytes > 0 ? $"  peak {MemoryBudget.Format(log.PeakDeviceBytes)}" : "")}{(log.Skipped ? "  SKIPPED (non-finite)" : "")}");

    /// <summary>A GPU run's memory per logged step: the allocator's peak and the plan for the largest micro-batch shape.</summary>
    private static string DeviceFields(TrainingLog log) => log.PeakDeviceBytes == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
        $",\"peak_device_bytes\":{log.PeakDeviceBytes},\"planned_device_bytes\":{log.PlannedDeviceBytes}" +
        $",\"sync_uploads_per_step\":{Num(log.SyncUploadsPerStep)},\"sync_reads_per_step\":{Num(log.SyncReadsPerStep)}" +
        $",\"staged_uploads_per_step\":{Num(log.StagedUploadsPerStep)}");

    private static string Num(double v) => double.IsFinite(v) ? v.ToString("G9", CultureInfo.InvariantCulture) : "null";
}
