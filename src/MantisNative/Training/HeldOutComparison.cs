using System.Globalization;
using System.Text.Json;
using MantisNative.Evaluation;

namespace MantisNative.Training;

/// <summary>Held-out accuracy per task family before and after training, beside chance.</summary>
public sealed record HeldOutComparison(EvalReport Untrained, EvalReport Trained)
{
    public IEnumerable<(string Skill, string Family, int Count, double? Chance, double Before, double After)> Rows() =>
        Trained.Families.Select(f => (Trained.SkillOfFamily.TryGetValue(f.Name, out var s) ? s : "", f.Name, f.Count, f.Chance,
            Untrained.Family(f.Name).Accuracy, f.Accuracy)).OrderBy(r => r.Item1, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal);

    /// <summary>A Markdown table (README-ready).</summary>
    public string ToMarkdown()
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine("| skill | family | n | chance | untrained | trained |");
        sb.AppendLine("|---|---|---|---|---|---|");
        foreach (var r in Rows())
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Skill} | {r.Family} | {r.Count} | {Pct(r.Chance)} | {Pct(r.Before)} | {Pct(r.After)} |"));
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| all | overall | {Trained.Overall.Count} | {Pct(Trained.Overall.Chance)} | {Pct(Untrained.Overall.Accuracy)} | {Pct(Trained.Overall.Accuracy)} |"));
        return sb.ToString();
    }

    private static string Pct(double? v) => v is double d ? (100 * d).ToString("F1", CultureInfo.InvariantCulture) + " %" : "–";

    public void Save(string path)
    {
        using var fs = File.Create(path);
        using var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteStartArray("families");
        foreach (var r in Rows())
        {
            w.WriteStartObject();
            w.WriteString("skill", r.Skill);
            w.WriteString("family", r.Family);
            w.WriteNumber("count", r.Count);
            if (r.Chance is double c) w.WriteNumber("chance", c); else w.WriteNull("chance");
            w.WriteNumber("untrained", r.Before);
            w.WriteNumber("trained", r.After);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("overall_untrained", Untrained.Overall.Accuracy);
        w.WriteNumber("overall_trained", Trained.Overall.Accuracy);
        w.WriteEndObject();
    }
}
