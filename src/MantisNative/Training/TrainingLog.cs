namespace MantisNative.Training;

/// <summary>One logged optimizer step: what the progress display and metrics.jsonl show.</summary>
public sealed record TrainingLog(
    int Step, int TotalSteps, double Loss, double LearningRate, double GradNorm, bool Skipped,
    double TokensPerSecond, double ImagesPerSecond, double ExamplesPerSecond, TimeSpan Elapsed, TimeSpan Eta)
{
    /// <summary>Share of the wall time spent waiting for the data loader (0 when decoding keeps up).</summary>
    public double DataWaitFraction { get; init; }
    /// <summary>Cumulative seconds in forward, backward and the optimizer since the run (or resume) started.</summary>
    public double ForwardSeconds { get; init; }
    public double BackwardSeconds { get; init; }
    public double OptimizerSeconds { get; init; }
    /// <summary>The most device memory in use (caching allocator's high-water) during the steps since the previous log;
    /// 0 on the host.</summary>
    public long PeakDeviceBytes { get; init; }
    /// <summary>The memory plan (<see cref="DeviceMemoryPlan"/>) of the largest micro-batch of those steps; 0 on the host.</summary>
    public long PlannedDeviceBytes { get; init; }
    /// <summary>Synchronising host-to-device copies and device-to-host reads per optimizer step (mean over the steps
    /// since the previous log; 0 on the host): the contract is two reads (loss, gradient norm) and no uploads.</summary>
    public double SyncUploadsPerStep { get; init; }
    public double SyncReadsPerStep { get; init; }
    /// <summary>Small uploads per optimizer step that went through the page-locked staging ring (no host wait).</summary>
    public double StagedUploadsPerStep { get; init; }
}
