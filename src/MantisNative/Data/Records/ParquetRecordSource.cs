using System.Collections;
using Parquet;
using Parquet.Serialization;

namespace MantisNative.Data.Records;

/// <summary>
/// Parquet files as Hugging Face datasets writes Mantis-Instruct: `images` a list of {bytes, path} structs
/// (or of path strings), `conversation` a list of {role, content} structs. Read one row group at a time
/// through Parquet.Net's untyped deserializer (no reflection over our own types), so memory holds one row group.
/// </summary>
internal static class ParquetRecordSource
{
    public static IEnumerable<InstructRecord> Read(string file, RecordPass pass)
    {
        pass.BeginFile(file);
        var shown = RecordPass.Display(file);
        var (groups, error) = CountRowGroups(file);
        if (error is not null)
        {
            pass.Reject(new RecordProblem(RecordProblemKind.NotARecord, $"not a readable Parquet file: {error}"), null, shown);
            yield break;
        }

        long row = 0;
        for (int g = 0; g < groups; g++)
        {
            IList<Dictionary<string, object>> rows;
            try
            {
                using var fs = File.OpenRead(file);
                rows = ParquetSerializer.DeserializeUntypedAsync(fs, null, g).GetAwaiter().GetResult().Data;
            }
            catch (Exception e) when (e is not MantisException and not UnauthorizedAccessException and not FileNotFoundException)
            {
                pass.Reject(new RecordProblem(RecordProblemKind.NotARecord, $"row group {g} cannot be read: {e.Message}"), null, $"{shown} row group {g}");
                continue;
            }
            foreach (var r in rows)
            {
                long index = row++;
                var rec = pass.Take(() => ParseRow(r), file, index, $"{shown} row {index}");
                if (rec is not null) yield return rec;
            }
        }
    }

    private static (int Groups, string? Error) CountRowGroups(string file)
    {
        using var probe = File.OpenRead(file);
        try
        {
            var pr = ParquetReader.CreateAsync(probe, leaveStreamOpen: true).GetAwaiter().GetResult();
            int n = pr.RowGroupCount;
            pr.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return (n, null);
        }
        catch (Exception e) when (e is not UnauthorizedAccessException and not FileNotFoundException and not DirectoryNotFoundException)
        {
            // Parquet.Net reports "not a parquet file" as an IOException: that is a bad input, not an I/O failure
            return (0, e.Message);
        }
    }

    private static RawRecord ParseRow(Dictionary<string, object> row)
    {
        var raw = new RawRecord();
        // the id first, so that a record rejected for a later field is still reported by its id
        if (row.TryGetValue("id", out var idValue) && idValue is not null)
            raw.Id = ParquetValues.AsString(idValue) ?? Convert.ToString(idValue, System.Globalization.CultureInfo.InvariantCulture);
        try { ParseFields(row, raw); }
        catch (RecordRejectedException e) { e.RecordId = raw.Id; throw; }
        return raw;
    }

    private static void ParseFields(Dictionary<string, object> row, RawRecord raw)
    {
        foreach (var (name, value) in row)
        {
            switch (name)
            {
                case "id":
                    break;
                case "images":
                case "image":
                    ParseImages(name, value, raw.Images);
                    break;
                case "conversation":
                case "conversations":
                    if (raw.Turns is not null)
                        throw new RecordRejectedException(RecordProblemKind.BadField, "record has both 'conversation' and 'conversations'");
                    raw.Turns = ParseTurns(name, value);
                    break;
                default:
                    if (value is not null) raw.Metadata[name] = ParquetValues.AsString(value) ?? ParquetValues.ToJson(value);
                    break;
            }
        }
    }

    private static void ParseImages(string field, object? value, List<RawImage> into)
    {
        if (value is null) return;
        if (ParquetValues.AsString(value) is { } single) { into.Add(new RawImage(single, null)); return; }
        if (value is IDictionary<string, object> one) { into.Add(ImageStruct(field, one)); return; }
        if (value is not IEnumerable list || ParquetValues.AsBytes(value) is not null)
            throw new RecordRejectedException(RecordProblemKind.BadField, $"field '{field}' is a {value.GetType().Name}, expected a list of paths or {{bytes, path}}");
        int i = 0;
        foreach (var item in list)
        {
            if (item is null) throw new RecordRejectedException(RecordProblemKind.BadField, $"{field}[{i}] is null");
            if (ParquetValues.AsString(item) is { } path) into.Add(new RawImage(path, null));
            else if (ParquetValues.AsBytes(item) is { } bytes) into.Add(new RawImage(null, bytes));
            else if (item is IDictionary<string, object> d) into.Add(ImageStruct($"{field}[{i}]", d));
            else throw new RecordRejectedException(RecordProblemKind.BadField, $"{field}[{i}] is a {item.GetType().Name}, expected a path or {{bytes, path}}");
            i++;
        }
    }

    private static RawImage ImageStruct(string where, IDictionary<string, object> d)
    {
        string? path = d.TryGetValue("path", out var p) && p is not null ? ParquetValues.AsString(p) : null;
        ReadOnlyMemory<byte>? bytes = d.TryGetValue("bytes", out var b) && b is not null ? ParquetValues.AsBytes(b) : null;
        if (path is null && bytes is null)
            throw new RecordRejectedException(RecordProblemKind.BadField, $"{where} has neither 'path' nor 'bytes'");
        return new RawImage(path, bytes);
    }

    private static List<RawTurn> ParseTurns(string field, object? value)
    {
        if (value is null || value is not IEnumerable list || ParquetValues.AsString(value) is not null)
            throw new RecordRejectedException(RecordProblemKind.BadField, $"field '{field}' is {(value is null ? "null" : "a " + value.GetType().Name)}, expected a list of turns");
        var turns = new List<RawTurn>();
        int i = 0;
        foreach (var item in list)
        {
            if (item is not IDictionary<string, object> d)
                throw new RecordRejectedException(RecordProblemKind.BadField, $"{field}[{i}] is not a {{role, content}} struct");
            var role = Field(d, "role") ?? Field(d, "from")
                ?? throw new RecordRejectedException(RecordProblemKind.BadField, $"{field}[{i}] has no 'role' (or 'from')");
            // a null content is how Parquet spells an empty turn; it is reported as EmptyTurn by the validator
            var content = Field(d, "content") ?? Field(d, "value");
            turns.Add(new RawTurn(role, content));
            i++;
        }
        return turns;
    }

    private static string? Field(IDictionary<string, object> d, string name) =>
        d.TryGetValue(name, out var v) && v is not null ? ParquetValues.AsString(v) : null;
}
