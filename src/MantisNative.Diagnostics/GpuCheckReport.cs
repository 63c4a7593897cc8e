namespace MantisNative.Diagnostics;

/// <summary>One comparison of a target result with the CPU reference.</summary>
internal sealed record CheckRow(string Section, string Name, string Phase, double RelativeL2, double MaxAbs, double Tolerance, bool Passed, string? Note = null);

/// <summary>One timing: median milliseconds and what they achieve.</summary>
internal sealed record TimingRow(string Name, double Ms, long Bytes, long Flops)
{
    /// <summary>Median milliseconds of forward plus backward (NaN when the op was not timed with its backward).</summary>
    public double FwdBwdMs { get; init; } = double.NaN;

    public double GBs => Ms > 0 ? Bytes / (Ms * 1e6) : double.NaN;
    public double Tflops => Ms > 0 && Flops > 0 ? Flops / (Ms * 1e9) : double.NaN;
}

/// <summary>Everything one gpu-check run measured.</summary>
internal sealed class GpuCheckReport
{
    public string Target { get; init; } = "";
    public int Seed { get; init; }
    public double CopyGBs { get; set; } = double.NaN;
    public double GemmTflops { get; set; } = double.NaN;
    public int GemmSize { get; set; }
    public List<CheckRow> Checks { get; } = new();
    public List<TimingRow> Timings { get; } = new();

    public int Failed => Checks.Count(c => !c.Passed);
    public bool Passed => Failed == 0 && Checks.Count > 0;
}
