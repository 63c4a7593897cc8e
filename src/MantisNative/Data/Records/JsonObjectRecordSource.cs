using System.Text.Json;

namespace MantisNative.Data.Records;

/// <summary>
/// A ".json" file whose top level is one object. If it parses whole and has a conversation, it is one record;
/// if it parses whole and has none, it is not a record file at all (dataset_info.json, a config) and is reported
/// as such; if it does not parse whole, it is JSON Lines under a .json name and goes to the JSONL reader.
/// </summary>
internal static class JsonObjectRecordSource
{
    public static IEnumerable<InstructRecord> Read(string file, RecordPass pass, bool explicitFile)
    {
        JsonDocument? doc = null;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException) { }
        if (doc is null) return JsonlRecordSource.Read(file, pass);
        return Single(file, pass, doc, explicitFile);
    }

    private static IEnumerable<InstructRecord> Single(string file, RecordPass pass, JsonDocument doc, bool explicitFile)
    {
        using (doc)
        {
            var root = doc.RootElement;
            bool isRecord = root.ValueKind == JsonValueKind.Object &&
                (root.TryGetProperty("conversation", out _) || root.TryGetProperty("conversations", out _));
            if (!isRecord)
            {
                // a metadata file beside the records (folder or glob) is listed, not counted as a bad record
                if (!explicitFile) { pass.IgnoreFile(file, "a JSON object without 'conversation': not a record file"); yield break; }
                pass.BeginFile(file);
                pass.Reject(new RecordProblem(RecordProblemKind.NotARecord, "a JSON object without 'conversation': not a record file"), null, RecordPass.Display(file));
                yield break;
            }
            pass.BeginFile(file);
            var rec = pass.Take(() => JsonRecordParser.Parse(root), file, 1, $"{RecordPass.Display(file)}:1");
            if (rec is not null) yield return rec;
        }
    }
}
