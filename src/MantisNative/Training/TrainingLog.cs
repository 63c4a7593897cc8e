namespace MantisNative.Training;

/// <summary>One logged optimizer step: what the progress display and metrics.jsonl show.</summary>
public sealed record TrainingLog(
    int Step, int TotalSteps, double Loss, double LearningRate, double GradNorm, bool Skipped,
    double TokensPerSecond, double ImagesPerSecond, double ExamplesPerSecond, TimeSpan Elapsed, TimeSpan Eta);
