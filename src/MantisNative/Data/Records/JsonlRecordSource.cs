using System.Text;
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
        // invalid UTF-8 would otherwise become U+FFFD inside a record's text, silently
        using var reader = new StreamReader(file, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true);
        long lineNo = 0;
        string? line;
        while ((line = ReadLine(reader, shown, lineNo + 1)) is not null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var location = $"{shown}:{lineNo}";
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

    private static string? ReadLine(StreamReader reader, string shown, long lineNo)
    {
        try { return reader.ReadLine(); }
        catch (DecoderFallbackException e)
        {
            throw new MantisException($"{shown}: not valid UTF-8 at or after line {lineNo} ({e.Message.Split('.')[0]})", e);
        }
    }

    /// <summary>System.Text.Json messages end with "LineNumber: .. | BytePositionInLine: .."; we give our own position.</summary>
    internal static string FirstSentence(string message)
    {
        int i = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (i > 0 ? message[..i] : message).Trim();
    }
}
