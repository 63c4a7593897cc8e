using System.Globalization;
using System.Text;

namespace MantisNative.Diagnostics;

/// <summary>The compact table gpu-check prints last: one line per op (worst of forward and backward) and per fixture check.</summary>
internal static class GpuCheckTable
{
    private static string E(double v) => double.IsNaN(v) ? "-" : double.IsPositiveInfinity(v) ? "inf" : v.ToString("0.0E+0", CultureInfo.InvariantCulture);
    private static string F(double v, string fmt) => double.IsNaN(v) ? "-" : v.ToString(fmt, CultureInfo.InvariantCulture);

    public static string Line(CheckRow r) =>
        $"{(r.Passed ? "ok" : "FAIL"),-5} {r.Section,-8} {r.Name,-28} {r.Phase,-9} rel L2 {E(r.RelativeL2),8}  max {E(r.MaxAbs),8}  tol {E(r.Tolerance)}" +
        (r.Note is null ? "" : $"  {r.Note}");

    public static string Render(GpuCheckReport report)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"== gpu-check: {report.Target} (seed {report.Seed})");
        if (!double.IsNaN(report.CopyGBs))
            sb.AppendLine($"   device copy {F(report.CopyGBs, "0.0")} GB/s; GEMM {report.GemmSize}^3 {F(report.GemmTflops, "0.00")} TFLOP/s");
        sb.AppendLine($"{"op",-28} {"fwd relL2",9} {"bwd relL2",9} {"tol",7} {"ok",-4} {"ms",9} {"+bwd ms",9} {"GB/s",8} {"TFLOP/s",8} {"of peak",7}");
        foreach (var g in report.Checks.Where(c => c.Section == "op").GroupBy(c => c.Name))
        {
            var fwd = g.FirstOrDefault(r => r.Phase == "fwd");
            var bwd = g.Where(r => r.Phase.StartsWith("bwd", StringComparison.Ordinal)).ToList();
            double bwdWorst = bwd.Count == 0 ? double.NaN : bwd.Max(r => double.IsNaN(r.RelativeL2) ? double.PositiveInfinity : r.RelativeL2);
            var t = report.Timings.FirstOrDefault(x => x.Name == g.Key);
            string peak = t is null ? "-" : t.Flops > 0
                ? F(100 * t.Tflops / report.GemmTflops, "0") + "%"
                : F(100 * t.GBs / report.CopyGBs, "0") + "%";
            sb.AppendLine($"{g.Key,-28} {E(fwd?.RelativeL2 ?? double.NaN),9} {E(bwdWorst),9} {E(fwd?.Tolerance ?? double.NaN),7} {(g.All(r => r.Passed) ? "ok" : "FAIL"),-4} " +
                          $"{F(t?.Ms ?? double.NaN, "0.000"),9} {F(t?.FwdBwdMs ?? double.NaN, "0.000"),9} {F(t?.GBs ?? double.NaN, "0.0"),8} {F(t?.Tflops ?? double.NaN, "0.00"),8} {peak,7}");
        }
        foreach (var r in report.Checks.Where(c => c.Section != "op"))
            sb.AppendLine($"{r.Name + " " + r.Phase,-28} {E(r.RelativeL2),9} {"",9} {E(r.Tolerance),7} {(r.Passed ? "ok" : "FAIL"),-4} {r.Note}");
        sb.AppendLine(report.Passed
            ? $"all {report.Checks.Count} checks passed"
            : $"{report.Failed} of {report.Checks.Count} checks FAILED: {string.Join(", ", report.Checks.Where(c => !c.Passed).Select(c => $"{c.Name} {c.Phase}").Distinct())}");
        return sb.ToString();
    }
}
