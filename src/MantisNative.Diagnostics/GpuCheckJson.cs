using System.Text.Json;

namespace MantisNative.Diagnostics;

/// <summary>Every number of a gpu-check run as JSON (Utf8JsonWriter: no reflection, safe in the trimmed binary).</summary>
internal static class GpuCheckJson
{
    public static void Write(GpuCheckReport report, Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("target", report.Target);
        w.WriteNumber("seed", report.Seed);
        w.WriteBoolean("passed", report.Passed);
        w.WriteNumber("failed", report.Failed);
        w.WriteStartObject("baselines");
        Num(w, "copy_gbs", report.CopyGBs);
        w.WriteNumber("gemm_size", report.GemmSize);
        Num(w, "gemm_tflops", report.GemmTflops);
        w.WriteEndObject();
        w.WriteStartArray("checks");
        foreach (var r in report.Checks)
        {
            w.WriteStartObject();
            w.WriteString("section", r.Section);
            w.WriteString("name", r.Name);
            w.WriteString("phase", r.Phase);
            Num(w, "rel_l2", r.RelativeL2);
            Num(w, "max_abs", r.MaxAbs);
            w.WriteNumber("tolerance", r.Tolerance);
            w.WriteBoolean("passed", r.Passed);
            if (r.Note is not null) w.WriteString("note", r.Note);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("timings");
        foreach (var t in report.Timings)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            Num(w, "ms", t.Ms);
            Num(w, "fwd_bwd_ms", t.FwdBwdMs);
            w.WriteNumber("bytes", t.Bytes);
            w.WriteNumber("flops", t.Flops);
            Num(w, "gbs", t.GBs);
            Num(w, "tflops", t.Tflops);
            Num(w, "fraction_of_copy", t.GBs / report.CopyGBs);
            Num(w, "fraction_of_gemm", t.Flops > 0 ? t.Tflops / report.GemmTflops : double.NaN);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void Write(GpuCheckReport report, string path)
    {
        using var f = File.Create(path);
        Write(report, f);
    }

    /// <summary>Non-finite numbers (a NaN from a poisoned output, an unmeasured rate) are JSON null.</summary>
    private static void Num(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v); else w.WriteNull(name);
    }
}
