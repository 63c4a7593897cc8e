namespace MantisNative.Training;

/// <summary>
/// Learning rate per optimizer step, as transformers' get_scheduler: linear warmup over ceil(ratio * total)
/// steps, then cosine to 0, linear to 0, or constant. Step is 0-based (the first update uses step 0).
/// </summary>
public sealed class LrSchedule
{
    public double BaseLr { get; }
    public int TotalSteps { get; }
    public int WarmupSteps { get; }
    public LrSchedulerType Type { get; }

    public LrSchedule(LrSchedulerType type, double baseLr, int totalSteps, double warmupRatio)
    {
        Type = type;
        BaseLr = baseLr;
        TotalSteps = Math.Max(1, totalSteps);
        WarmupSteps = (int)Math.Ceiling(warmupRatio * TotalSteps);
    }

    public double At(int step)
    {
        if (step < WarmupSteps) return BaseLr * step / Math.Max(1, WarmupSteps);
        double progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        return Type switch
        {
            LrSchedulerType.Cosine => BaseLr * Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * progress))),
            LrSchedulerType.Linear => BaseLr * Math.Max(0, 1 - progress),
            _ => BaseLr,
        };
    }
}
