using System.Globalization;
using System.Text;

namespace MantisNative.Evaluation;

/// <summary>The result of an evaluation: overall, per task family and per skill accuracy, and every prediction.</summary>
public sealed class EvalReport
{
    public required GroupAccuracy Overall { get; init; }
    /// <summary>Families in the order they first appear in the data.</summary>
    public required IReadOnlyList<GroupAccuracy> Families { get; init; }
    public required IReadOnlyList<GroupAccuracy> Skills { get; init; }
    /// <summary>Each family's skill.</summary>
    public required IReadOnlyDictionary<string, string> SkillOfFamily { get; init; }
    /// <summary>In record order.</summary>
    public required IReadOnlyList<EvalPrediction> Predictions { get; init; }
    public required double Seconds { get; init; }
    /// <summary>Where the predictions were written, or null.</summary>
    public string? PredictionsPath { get; init; }

    public GroupAccuracy Family(string name) =>
        Families.FirstOrDefault(f => f.Name == name) ?? throw new KeyNotFoundException($"no family '{name}' in the report");

    /// <summary>A plain-text table (skill, family, n, correct, accuracy, chance; then per skill and overall), readable in logs and files.</summary>
    public string ToTable()
    {
        var rows = new List<string[]> { new[] { "skill", "family", "n", "correct", "accuracy", "chance" } };
        foreach (var f in Families)
            rows.Add(Row(SkillOfFamily.GetValueOrDefault(f.Name, ""), f));
        rows.Add(Array.Empty<string>());
        foreach (var s in Skills) rows.Add(Row(s.Name, s with { Name = "(all)" }));
        rows.Add(Row("overall", Overall with { Name = "" }));
        var widths = Enumerable.Range(0, 6).Select(c => rows.Where(r => r.Length > 0).Max(r => r[c].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var r in rows)
        {
            if (r.Length == 0) { sb.AppendLine(new string('-', widths.Sum() + 2 * (widths.Length - 1))); continue; }
            for (int c = 0; c < r.Length; c++)
            {
                if (c > 0) sb.Append("  ");
                sb.Append(c < 2 ? r[c].PadRight(widths[c]) : r[c].PadLeft(widths[c]));
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }

    /// <summary>Cells of one group: name columns, counts, accuracy and chance as percentages.</summary>
    public static string[] Row(string first, GroupAccuracy g) => new[]
    {
        first, g.Name, g.Count.ToString(CultureInfo.InvariantCulture), g.Correct.ToString(CultureInfo.InvariantCulture),
        Percent(g.Accuracy), g.Chance is double c ? Percent(c) : "-",
    };

    public static string Percent(double v) => (100 * v).ToString("F1", CultureInfo.InvariantCulture) + " %";
}
