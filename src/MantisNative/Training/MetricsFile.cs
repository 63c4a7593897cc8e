using System.Text.Json;

namespace MantisNative.Training;

/// <summary>
/// metrics.jsonl, one JSON object per logged step. A run resumed from checkpoint-N replays the steps after N
/// that the killed run had already logged, so those lines are dropped before the resumed run appends its own.
/// </summary>
public static class MetricsFile
{
    public const string FileName = "metrics.jsonl";

    /// <summary>Keeps the lines whose "step" is at most <paramref name="step"/> (and any line it cannot read).</summary>
    public static void TrimAfterStep(string path, int step)
    {
        if (!File.Exists(path)) return;
        var kept = File.ReadLines(path).Where(line => StepOf(line) is not int s || s <= step).ToList();
        File.WriteAllLines(path, kept);
    }

    private static int? StepOf(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("step", out var s) && s.TryGetInt32(out int v) ? v : null;
        }
        catch (JsonException) { return null; }
    }
}
