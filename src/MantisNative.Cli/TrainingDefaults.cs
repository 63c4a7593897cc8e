using MantisNative.Training;

namespace MantisNative.Cli;

/// <summary>
/// The built-in default run's settings (tiny model on the synthetic skills set, every part training since the
/// tower starts from random weights). Sized to finish, evaluation included, within 10 minutes on a 2-core CPU.
/// </summary>
public static class TrainingDefaults
{
    public static TrainingConfig BuiltIn() => new()
    {
        OutputDir = "runs/mantis-tiny",
        LearningRate = 1e-3,
        PerDeviceTrainBatchSize = 32,
        MaxSteps = 3400,
        WarmupRatio = 0.03,
        LrSchedulerType = LrSchedulerType.Cosine,
        WeightDecay = 0.0,
        MaxGradNorm = 1.0,
        Seed = 42,
        SaveSteps = 850,
        LoggingSteps = 10,
        MaxSeqLen = 512,
        Train = new[] { "projector", "llm", "vision" },
        EvalLimit = 0,
    };
}
