namespace MantisNative.Data.Records;

/// <summary>
/// Entry point for Mantis-Instruct records: a file (.json, .jsonl, .parquet), a folder (all such files in it,
/// sorted by name), or a glob (`data/*.jsonl`, `data/**/*.parquet`). Records stream one by one; the report is
/// filled as they go and is complete when the enumeration ends.
/// </summary>
public static class RecordReader
{
    public static readonly string[] Extensions = { ".json", ".jsonl", ".parquet" };

    /// <summary>Streams the valid records of every file that <paramref name="pathOrGlob"/> names; bad ones are counted in <paramref name="report"/>.</summary>
    public static IEnumerable<InstructRecord> Read(string pathOrGlob, RecordReport report, RecordReaderOptions? options = null)
    {
        var files = ResolveFiles(pathOrGlob); // resolved eagerly: a wrong path fails at the call, not at first MoveNext
        bool explicitFile = File.Exists(pathOrGlob);
        return ReadFiles(files, explicitFile, report, options ?? RecordReaderOptions.Default);
    }

    /// <summary>Reads everything into a list and returns the finished report beside it.</summary>
    public static List<InstructRecord> ReadAll(string pathOrGlob, out RecordReport report, RecordReaderOptions? options = null)
    {
        report = new RecordReport();
        return Read(pathOrGlob, report, options).ToList();
    }

    private static IEnumerable<InstructRecord> ReadFiles(IReadOnlyList<string> files, bool explicitFile, RecordReport report, RecordReaderOptions options)
    {
        var pass = new RecordPass(report, options);
        foreach (var f in files)
            foreach (var r in ReadOne(f, pass, explicitFile))
                yield return r;
    }

    private static IEnumerable<InstructRecord> ReadOne(string file, RecordPass pass, bool explicitFile)
    {
        switch (Path.GetExtension(file).ToLowerInvariant())
        {
            case ".jsonl": return JsonlRecordSource.Read(file, pass);
            case ".parquet": return ParquetRecordSource.Read(file, pass);
            case ".json":
                // an array of records, one record object, a metadata object, or JSON Lines under a .json name
                return FirstNonSpace(file) == '[' ? JsonArrayRecordSource.Read(file, pass) : JsonObjectRecordSource.Read(file, pass, explicitFile);
            default:
                throw new MantisException($"records: '{file}' is not a record file (expected {string.Join(", ", Extensions)})");
        }
    }

    private static int FirstNonSpace(string file)
    {
        using var s = new StreamReader(file, detectEncodingFromByteOrderMarks: true);
        int c;
        while ((c = s.Read()) >= 0 && char.IsWhiteSpace((char)c)) { }
        return c;
    }

    /// <summary>The record files a path names: the file itself, a folder's record files, or a glob's matches (sorted, ordinal).</summary>
    public static IReadOnlyList<string> ResolveFiles(string pathOrGlob)
    {
        if (string.IsNullOrWhiteSpace(pathOrGlob)) throw new MantisException("records: empty path");
        if (File.Exists(pathOrGlob))
        {
            if (!Extensions.Contains(Path.GetExtension(pathOrGlob).ToLowerInvariant()))
                throw new MantisException($"records: '{pathOrGlob}' is not a record file (expected {string.Join(", ", Extensions)})");
            return new[] { Path.GetFullPath(pathOrGlob) };
        }
        if (Directory.Exists(pathOrGlob))
        {
            var inDir = Directory.EnumerateFiles(pathOrGlob)
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Select(Path.GetFullPath).OrderBy(f => f, StringComparer.Ordinal).ToList();
            if (inDir.Count == 0) throw new MantisException($"records: folder '{pathOrGlob}' holds no {string.Join(", ", Extensions)} files");
            return inDir;
        }
        if (pathOrGlob.IndexOfAny(new[] { '*', '?' }) < 0)
            throw new MantisException($"records: no such file or folder '{pathOrGlob}'");
        return Glob(pathOrGlob);
    }

    /// <summary>Wildcards in the file name only; a `**` folder part means "this folder and all below it".</summary>
    private static List<string> Glob(string pattern)
    {
        var dir = Path.GetDirectoryName(pattern) ?? "";
        var name = Path.GetFileName(pattern);
        var option = SearchOption.TopDirectoryOnly;
        if (Path.GetFileName(dir) == "**") { option = SearchOption.AllDirectories; dir = Path.GetDirectoryName(dir) ?? ""; }
        if (dir.IndexOfAny(new[] { '*', '?' }) >= 0)
            throw new MantisException($"records: wildcards are supported in the file name and as a '**' folder only: '{pattern}'");
        if (dir.Length == 0) dir = ".";
        if (!Directory.Exists(dir)) throw new MantisException($"records: no such folder '{dir}' (in '{pattern}')");
        var files = Directory.EnumerateFiles(dir, name, option)
            .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Select(Path.GetFullPath).OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new MantisException($"records: '{pattern}' matches no {string.Join(", ", Extensions)} files");
        return files;
    }
}
