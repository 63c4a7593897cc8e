using System.Diagnostics;
using MantisNative.Autograd;
using MantisNative.Data.Loading;
using MantisNative.Models;
using MantisNative.Nn;
using MantisNative.Nn.Lora;
using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>How a run ended.</summary>
public enum TrainingOutcome { Completed, Cancelled, TooManyBadSteps }

/// <summary>
/// The training loop: gradient accumulation, loss over assistant tokens, global-norm clipping, AdamW with
/// decoupled weight decay (none on 1-D tensors: norms and biases), the learning-rate schedule, skipping of
/// non-finite steps (and stopping after too many in a row), periodic logs, evaluations and checkpoints.
/// Deterministic on the CPU: the same config and seed give the same loss sequence; a resumed run continues it.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly TrainingConfig _cfg;
    private readonly MantisModel _model;
    private readonly AdamW _opt;
    private readonly LrSchedule _schedule;
    private readonly StepDevice _steps;

    public TrainerState State { get; }

    /// <summary>Called after every logged step (every logging_steps, and the last).</summary>
    public event Action<TrainingLog>? Logged;
    /// <summary>Writes a checkpoint folder (model, tokenizer, trainer state) given the folder path.</summary>
    public Action<string, Trainer>? WriteCheckpoint { get; set; }
    /// <summary>Runs an evaluation at eval_steps.</summary>
    public Action<int>? Evaluate { get; set; }

    /// <summary>Steps taken by the last <see cref="Run"/> (0 when it was cancelled before its first step).</summary>
    public int StepsThisRun { get; private set; }

    public AdamW Optimizer => _opt;
    public MantisModel Model => _model;

    /// <summary>The device the run trains on (config device; auto resolved).</summary>
    public Device Device => _steps.Device;
    /// <summary>Which device, and for auto why (for the run's first lines).</summary>
    public string DeviceNote { get; }

    /// <summary>The adapters trained instead of the model's weights (a LoRA run), or null.</summary>
    public LoraAdapterSet? Lora { get; }

    public Trainer(TrainingConfig cfg, MantisModel model, DataLoader data, int totalSteps, TrainerState? resume = null, AdamW? optimizer = null, LoraAdapterSet? lora = null)
    {
        Lora = lora;
        _cfg = cfg;
        _model = model;
        _opt = optimizer ?? cfg.NewOptimizer();
        State = resume ?? new TrainerState { TotalSteps = totalSteps };
        _schedule = new LrSchedule(cfg.LrSchedulerType, cfg.LearningRate, State.TotalSteps, cfg.WarmupRatio);
        if (lora is null) model.SetTrainable(vision: cfg.Train.Contains("vision"), projector: cfg.Train.Contains("projector"), language: cfg.Train.Contains("llm"));
        else model.SetTrainable(vision: false, projector: false, language: false); // only the adapters train
        model.Language.GradientCheckpointing = cfg.GradientCheckpointing;
        // a frozen tower records nothing (no activations kept), so only a training one is recomputed
        model.Vision.GradientCheckpointing = cfg.GradientCheckpointing && cfg.Train.Contains("vision");
        // on a GPU: fp32 masters taken from the F32 trainable weights (or adapters), then the model moves as BF16
        _steps = StepDevice.Open(cfg, model, data, _opt, out var note, lora);
        DeviceNote = note;
    }

    public void Dispose() => _steps.Dispose();

    public TrainingOutcome Run(CancellationToken cancel = default)
    {
        var trainable = (Lora?.Parameters ?? _model.TrainableParameters).ToList();
        var tensors = trainable.Select(p => p.Tensor).ToList();
        var clock = Stopwatch.StartNew();
        int startStep = State.Step;
        StepsThisRun = 0;
        long tokens = 0, images = 0, examples = 0;
        var waitClock = new Stopwatch(); // time blocked on the data loader: should stay near zero
        var phase = new Stopwatch();
        double forwardSecs = 0, backwardSecs = 0, optimizerSecs = 0;
        long peakSinceLog = 0, plannedSinceLog = 0, syncUploads = 0, syncReads = 0, staged = 0;
        int stepsSinceLog = 0;
        _steps.TakePeakBytes();
        var outcome = TrainingOutcome.Completed;
        while (State.Step < State.TotalSteps)
        {
            if (cancel.IsCancellationRequested) { outcome = TrainingOutcome.Cancelled; break; }
            bool bad = false;
            _steps.TakeSyncCopies();   // what evaluations and saves between steps copied is not the step's
            for (int micro = 0; micro < _cfg.GradientAccumulationSteps; micro++)
            {
                waitClock.Start();
                using var step = _steps.Next();
                var batch = step.Batch;
                using var activations = new TensorScope(); // frees this micro-step's activations right after backward
                waitClock.Stop();
                phase.Restart();
                LoraDropout(true, micro);
                var output = _model.ForwardLoss(batch.InputIds, batch.Size, step.Pixels, batch.Labels, batch.AttentionMask);
                var loss = output.Loss!;
                bool finite = _steps.AddLoss(loss);
                forwardSecs += phase.Elapsed.TotalSeconds;
                tokens += output.Layout.Valid.Count(v => v);
                if (_steps.Device.IsCuda)
                    plannedSinceLog = Math.Max(plannedSinceLog, (long)DeviceMemoryPlan.For(_model, _cfg, batch.Size, batch.Length, batch.ImageCount).Bytes);
                images += batch.ImageCount;
                examples += batch.Size;
                if (!finite)
                {
                    bad = true;
                    Tape.Current.Clear();
                    LoraDropout(false, micro);
                    continue;
                }
                phase.Restart();
                // seeded with 1 / accumulation steps: d(loss / n), the seed filled on the device and known to the host
                Tape.Backward(loss, 1f / _cfg.GradientAccumulationSteps);
                LoraDropout(false, micro); // evaluations and saves between steps see the adapters without dropout
                backwardSecs += phase.Elapsed.TotalSeconds;
            }
            double lr = _schedule.At(State.Step);
            phase.Restart();
            double lossSum = _steps.TakeLossSum();
            if (!double.IsFinite(lossSum)) bad = true;
            float gradScale = 1f;
            double norm = bad ? double.NaN : _steps.Clip(tensors, _cfg.MaxGradNorm, out gradScale);
            if (!bad && !double.IsFinite(norm)) bad = true;
            if (bad)
            {
                State.BadInARow++;
                foreach (var t in tensors) t.ZeroGrad();
            }
            else
            {
                State.BadInARow = 0;
                _opt.Update(trainable.Select(p => (p.Name, p.Tensor, p.Tensor.Rank >= 2 ? _cfg.WeightDecay : 0.0)), lr, gradScale);
                foreach (var t in tensors) t.ZeroGrad();
            }
            optimizerSecs += phase.Elapsed.TotalSeconds;
            double meanLoss = bad ? double.NaN : lossSum / _cfg.GradientAccumulationSteps;
            State.Step++;
            StepsThisRun = State.Step - startStep;
            State.Data = _steps.Position;
            peakSinceLog = Math.Max(peakSinceLog, _steps.TakePeakBytes());
            var (uploads, reads, stagedNow) = _steps.TakeSyncCopies();
            (syncUploads, syncReads, staged, stepsSinceLog) = (syncUploads + uploads, syncReads + reads, staged + stagedNow, stepsSinceLog + 1);
            State.Losses.Add((State.Step, meanLoss));
            if (State.Losses.Count > 100_000) State.Losses.RemoveAt(0);

            bool last = State.Step == State.TotalSteps;
            if (bad || last || (_cfg.LoggingSteps > 0 && State.Step % _cfg.LoggingSteps == 0))
            {
                double secs = Math.Max(1e-9, clock.Elapsed.TotalSeconds);
                int done = State.Step - startStep;
                var eta = TimeSpan.FromSeconds(secs / Math.Max(1, done) * (State.TotalSteps - State.Step));
                Logged?.Invoke(new TrainingLog(State.Step, State.TotalSteps, meanLoss, lr, norm, bad,
                    tokens / secs, images / secs, examples / secs, clock.Elapsed, eta)
                {
                    DataWaitFraction = waitClock.Elapsed.TotalSeconds / secs,
                    ForwardSeconds = forwardSecs, BackwardSeconds = backwardSecs, OptimizerSeconds = optimizerSecs,
                    PeakDeviceBytes = peakSinceLog, PlannedDeviceBytes = plannedSinceLog,
                    SyncUploadsPerStep = (double)syncUploads / stepsSinceLog, SyncReadsPerStep = (double)syncReads / stepsSinceLog,
                    StagedUploadsPerStep = (double)staged / stepsSinceLog,
                });
                peakSinceLog = plannedSinceLog = 0;
                syncUploads = syncReads = staged = stepsSinceLog = 0;
            }
            if (State.BadInARow >= _cfg.MaxBadStepsInARow) { outcome = TrainingOutcome.TooManyBadSteps; break; }
            if (_cfg.EvalSteps > 0 && State.Step % _cfg.EvalSteps == 0 && !last) Evaluate?.Invoke(State.Step);
            if (_cfg.SaveSteps > 0 && State.Step % _cfg.SaveSteps == 0 && !last) Save();
        }
        // a run stopped before its first step has nothing new to save (a checkpoint-0 would pose as a trained model)
        if (State.Step > startStep || outcome != TrainingOutcome.Cancelled) Save();
        return outcome;
    }

    // LoRA dropout is on only inside a micro-step's forward and backward (a checkpointed block's recompute included),
    // keyed by the micro-step so that masks do not depend on what ran before (a resumed run draws the same ones)
    private void LoraDropout(bool on, int micro)
    {
        if (Lora is null) return;
        Lora.Runtime.Training = on;
        Lora.Runtime.MicroStep = (long)State.Step * _cfg.GradientAccumulationSteps + micro;
    }

    /// <summary>Writes checkpoint-{step} under output_dir (atomically, through the callback).</summary>
    public string Save()
    {
        string dir = Path.Combine(_cfg.OutputDir, $"checkpoint-{State.Step}");
        WriteCheckpoint?.Invoke(dir, this);
        return dir;
    }
}
