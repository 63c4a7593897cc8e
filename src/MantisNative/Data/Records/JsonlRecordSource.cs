using System.Text.Json;

namespace MantisNative.Data.Records;

/// <summary>
/// JSON Lines: one record per line, read as a stream. A malformed line is one bad record (file:line);
/// the lines after it are still read. Blank lines are not records.
/// </summary>
internal static class JsonlRecordSource
{
    public static IEnumerable<InstructRecord> Read(string file, RecordPass pass)
    {
        pass.BeginFile(file);
        var shown = RecordPass.Display(file);
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        long lineNo = 0;
        // lines are read as bytes: invalid UTF-8 is then one bad record, not U+FFFD silently inside a record's text
        foreach (var line in Lines(stream))
        {
            lineNo++;
            if (IsBlank(line.Span)) continue;
            var location = $"{shown}:{lineNo}";
            long bad = Utf8Input.FirstInvalid(line.Span);
            if (bad >= 0)
            {
                pass.Reject(new RecordProblem(RecordProblemKind.MalformedJson, $"not valid UTF-8 (byte 0x{line.Span[(int)bad]:X2} at column {bad + 1})"), null, location);
                continue;
            }
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e)
            {
                pass.Reject(new RecordProblem(RecordProblemKind.MalformedJson, $"invalid JSON at column {(e.BytePositionInLine ?? 0) + 1}: {FirstSentence(e.Message)}"), null, location);
                continue;
            }
            InstructRecord? rec;
            using (doc) rec = pass.Take(() => JsonRecordParser.Parse(doc.RootElement), file, lineNo, location);
            if (rec is not null) yield return rec;
        }
    }

    /// <summary>The file's lines as bytes (split at \n, a trailing \r dropped, a leading UTF-8 byte order mark skipped).</summary>
    private static IEnumerable<ReadOnlyMemory<byte>> Lines(Stream stream)
    {
        var line = new MemoryStream();
        bool first = true;
        int b;
        while ((b = stream.ReadByte()) >= 0)
        {
            if (b != '\n') { line.WriteByte((byte)b); continue; }
            yield return Trimmed(line, ref first);
            line = new MemoryStream();
        }
        if (line.Length > 0) yield return Trimmed(line, ref first);
    }

    private static ReadOnlyMemory<byte> Trimmed(MemoryStream line, ref bool first)
    {
        var m = new ReadOnlyMemory<byte>(line.GetBuffer(), 0, (int)line.Length);
        if (first && m.Span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) m = m[3..];
        first = false;
        return m.Length > 0 && m.Span[^1] == '\r' ? m[..^1] : m;
    }

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (byte c in line)
            if (c is not ((byte)' ' or (byte)'\t' or (byte)'\r' or 0x0B or 0x0C)) return false;
        return true;
    }

    /// <summary>System.Text.Json messages end with "LineNumber: .. | BytePositionInLine: .."; we give our own position.</summary>
    internal static string FirstSentence(string message)
    {
        int i = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (i > 0 ? message[..i] : message).Trim();
    }
}
