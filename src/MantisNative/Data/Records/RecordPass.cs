namespace MantisNative.Data.Records;

/// <summary>
/// The skip-or-throw policy in one place: every source hands each record (or its parse failure) here.
/// A bad record is counted in the report with where and why; in strict mode it becomes a MantisException.
/// </summary>
internal sealed class RecordPass
{
    private readonly RecordReport _report;
    private readonly RecordReaderOptions _options;

    public RecordPass(RecordReport report, RecordReaderOptions options)
    {
        _report = report;
        _options = options;
    }

    public RecordReaderOptions Options => _options;

    public void BeginFile(string file) => _report.AddFile(Path.GetFullPath(file));

    public void IgnoreFile(string file, string why) => _report.Ignore(Display(file), why);

    /// <summary>Validates a parsed record; null when it was skipped.</summary>
    public InstructRecord? Take(Func<RawRecord> parse, string file, long line, string location)
    {
        RawRecord? raw = null;
        try
        {
            raw = parse();
            var rec = RecordValidator.Build(raw, file, line, location, _options);
            _report.Accept();
            return rec;
        }
        catch (RecordRejectedException e)
        {
            Reject(e.Problem, raw?.Id ?? e.RecordId, location);
            return null;
        }
        catch (Exception e) when (e is not MantisException and not OutOfMemoryException and not OperationCanceledException)
        {
            // a case the parser did not foresee must still cost one record, not the run; the type names the bug
            Reject(new RecordProblem(RecordProblemKind.NotARecord, $"could not be read ({e.GetType().Name}: {e.Message})"), raw?.Id, location);
            return null;
        }
    }

    /// <summary>Records a problem found before a record could be parsed at all (malformed JSON, unreadable rows).</summary>
    public void Reject(RecordProblem problem, string? id, string location)
    {
        string where = id is null ? location : $"'{id}' ({location})";
        if (_options.Strict)
            throw new MantisException($"bad record {where}: {problem.Detail} [{problem.Kind}] (strict mode stops at the first bad record)");
        _report.Skip(problem, where);
    }

    /// <summary>A path as short as possible for messages: relative to the working folder when inside it.</summary>
    public static string Display(string file)
    {
        var full = Path.GetFullPath(file);
        var rel = Path.GetRelativePath(Environment.CurrentDirectory, full);
        return rel.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(rel) ? full : rel;
    }
}
