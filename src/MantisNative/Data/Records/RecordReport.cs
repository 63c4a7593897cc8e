using System.Text;

namespace MantisNative.Data.Records;

/// <summary>
/// Counts of one pass over records: how many were read, kept and skipped, per reason,
/// with the first few examples of each reason (where and why) so a user can find and fix them.
/// </summary>
public sealed class RecordReport
{
    private readonly Dictionary<RecordProblemKind, int> _counts = new();
    private readonly Dictionary<RecordProblemKind, List<string>> _examples = new();
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);
    private readonly List<string> _ignored = new();

    /// <summary>How many examples per reason are kept for <see cref="ToTable"/>.</summary>
    public int MaxExamplesPerKind { get; }

    public RecordReport(int maxExamplesPerKind = 5) => MaxExamplesPerKind = maxExamplesPerKind;

    public long Accepted { get; private set; }
    public long Skipped { get; private set; }
    public long Total => Accepted + Skipped;
    public int Files => _files.Count;

    public IReadOnlyDictionary<RecordProblemKind, int> SkippedByKind => _counts;

    public IReadOnlyList<string> Examples(RecordProblemKind kind) =>
        _examples.TryGetValue(kind, out var l) ? l : Array.Empty<string>();

    public int Count(RecordProblemKind kind) => _counts.TryGetValue(kind, out var n) ? n : 0;

    /// <summary>Files of a folder or glob that were not read because they are not record files (e.g. dataset_info.json).</summary>
    public IReadOnlyList<string> IgnoredFiles => _ignored;

    internal void AddFile(string file) => _files.Add(file);

    internal void Ignore(string file, string why) => _ignored.Add($"{file}: {why}");

    internal void Accept() => Accepted++;

    /// <param name="where">the record's id and location, e.g. "'abc' (train.jsonl:12)"</param>
    internal void Skip(RecordProblem problem, string where)
    {
        Skipped++;
        _counts[problem.Kind] = Count(problem.Kind) + 1;
        if (!_examples.TryGetValue(problem.Kind, out var l)) _examples[problem.Kind] = l = new List<string>();
        if (l.Count < MaxExamplesPerKind) l.Add($"{where}: {problem.Detail}");
    }

    /// <summary>A plain-text table: totals, then one row per reason with its count and first examples.</summary>
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"records: {Total} read, {Accepted} kept, {Skipped} skipped ({Files} file{(Files == 1 ? "" : "s")})");
        foreach (var i in _ignored) sb.AppendLine($"  not read: {i}");
        if (Skipped == 0) return sb.ToString();
        int w = Math.Max(6, _counts.Keys.Max(k => k.ToString().Length));
        sb.AppendLine($"  {"reason".PadRight(w)}  {"count",8}  first examples");
        foreach (var (kind, n) in _counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key))
        {
            var ex = Examples(kind);
            sb.AppendLine($"  {kind.ToString().PadRight(w)}  {n,8}  {(ex.Count > 0 ? ex[0] : "")}");
            foreach (var e in ex.Skip(1)) sb.AppendLine($"  {"".PadRight(w)}  {"",8}  {e}");
        }
        return sb.ToString();
    }

    public override string ToString() => ToTable();
}
