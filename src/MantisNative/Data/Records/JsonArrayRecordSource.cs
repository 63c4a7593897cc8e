using System.Text.Json;

namespace MantisNative.Data.Records;

/// <summary>
/// A JSON file holding an array of records (the LLaVA / Mantis JSON layout). Elements are parsed one at a time
/// from the file's bytes, so memory holds the file plus one record. A syntax error ends the file: JSON has no
/// way to find the next record after it, so the rest of the file is reported as one malformed entry at that line.
/// </summary>
internal static class JsonArrayRecordSource
{
    /// <summary>Parser position between elements (kept outside the iterator because Utf8JsonReader is a ref struct).</summary>
    private sealed class Cursor
    {
        public JsonReaderState State;
        public int Offset;
        public int LineCountedTo;
        public long Line = 1;
        public bool InArray;
        public bool Done;
    }

    public static IEnumerable<InstructRecord> Read(string file, RecordPass pass)
    {
        pass.BeginFile(file);
        var shown = RecordPass.Display(file);
        var bytes = File.ReadAllBytes(file);
        var cur = new Cursor { State = new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) };
        if (bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) cur.Offset = cur.LineCountedTo = 3;
        while (true)
        {
            JsonDocument? doc;
            long line;
            string? error;
            try
            {
                error = Next(bytes, cur, out doc, out line);
            }
            catch (JsonException e)
            {
                // named by the line where the failing element (or separator) starts: that is where to look
                pass.Reject(new RecordProblem(RecordProblemKind.MalformedJson,
                    $"invalid JSON: {JsonlRecordSource.FirstSentence(e.Message)}; the rest of the file cannot be read"), null, $"{shown}:{cur.Line}");
                yield break;
            }
            if (error is not null)
            {
                pass.Reject(new RecordProblem(RecordProblemKind.NotARecord, error), null, $"{shown}:1");
                yield break;
            }
            if (doc is null) yield break;
            InstructRecord? rec;
            using (doc) rec = pass.Take(() => JsonRecordParser.Parse(doc.RootElement), file, line, $"{shown}:{line}");
            if (rec is not null) yield return rec;
        }
    }

    /// <summary>Reads the next array element; doc is null at the end. Returns an error text when the file is not an array.</summary>
    private static string? Next(byte[] bytes, Cursor cur, out JsonDocument? doc, out long line)
    {
        doc = null;
        line = cur.Line;
        if (cur.Done) return null;
        AdvanceLines(bytes, cur, cur.Offset);
        var reader = new Utf8JsonReader(bytes.AsSpan(cur.Offset), isFinalBlock: true, cur.State);
        if (!reader.Read()) { cur.Done = true; return cur.InArray ? null : "the file is empty"; }
        if (!cur.InArray)
        {
            if (reader.TokenType != JsonTokenType.StartArray) { cur.Done = true; return "a .json record file must hold an array of records (or use .jsonl)"; }
            cur.InArray = true;
            if (!reader.Read()) throw new JsonException("unexpected end of file", null, 0, 0);
        }
        if (reader.TokenType == JsonTokenType.EndArray) { cur.Done = true; return null; }
        int start = cur.Offset + (int)reader.TokenStartIndex;
        AdvanceLines(bytes, cur, start);
        line = cur.Line;
        doc = JsonDocument.ParseValue(ref reader);
        cur.Offset += (int)reader.BytesConsumed;
        cur.State = reader.CurrentState;
        return null;
    }

    private static void AdvanceLines(byte[] bytes, Cursor cur, int upTo)
    {
        cur.Line += bytes.AsSpan(cur.LineCountedTo, upTo - cur.LineCountedTo).Count((byte)'\n');
        cur.LineCountedTo = upTo;
    }
}
