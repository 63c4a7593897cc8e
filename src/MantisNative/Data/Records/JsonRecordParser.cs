using System.Text.Json;

namespace MantisNative.Data.Records;

/// <summary>Turns one parsed JSON object into a <see cref="RawRecord"/>; type errors reject the record.</summary>
internal static class JsonRecordParser
{
    public static RawRecord Parse(JsonElement obj)
    {
        if (obj.ValueKind != JsonValueKind.Object)
            throw new RecordRejectedException(RecordProblemKind.NotARecord, $"expected a JSON object, found {obj.ValueKind.ToString().ToLowerInvariant()}");
        var raw = new RawRecord();
        // the id first, so that a record rejected for a later field is still reported by its id
        if (obj.TryGetProperty("id", out var id))
        {
            // ids are strings in Mantis-Instruct, numbers in some other sets: keep either as text
            raw.Id = id.ValueKind switch
            {
                JsonValueKind.String => id.GetString(),
                JsonValueKind.Number => id.GetRawText(),
                JsonValueKind.Null => null,
                _ => throw new RecordRejectedException(RecordProblemKind.BadField, $"field 'id' is a {Kind(id)}, expected a string"),
            };
        }
        try { ParseFields(obj, raw); }
        catch (RecordRejectedException e) { e.RecordId = raw.Id; throw; }
        return raw;
    }

    private static void ParseFields(JsonElement obj, RawRecord raw)
    {
        foreach (var p in obj.EnumerateObject())
        {
            switch (p.Name)
            {
                case "id":
                    break;
                case "images":
                case "image":
                    ParseImages(p.Name, p.Value, raw.Images);
                    break;
                case "conversation":
                case "conversations":
                    if (raw.Turns is not null)
                        throw new RecordRejectedException(RecordProblemKind.BadField, "record has both 'conversation' and 'conversations'");
                    raw.Turns = ParseTurns(p.Name, p.Value);
                    break;
                default:
                    raw.Metadata[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                    break;
            }
        }
    }

    private static string Kind(JsonElement e) => e.ValueKind.ToString().ToLowerInvariant();

    private static void ParseImages(string field, JsonElement v, List<RawImage> into)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.Null: return;
            case JsonValueKind.String: into.Add(new RawImage(v.GetString(), null)); return;
            case JsonValueKind.Object: into.Add(ParseImageObject(field, v)); return;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var e in v.EnumerateArray())
                {
                    i++;
                    if (e.ValueKind == JsonValueKind.String) into.Add(new RawImage(e.GetString(), null));
                    else if (e.ValueKind == JsonValueKind.Object) into.Add(ParseImageObject($"{field}[{i - 1}]", e));
                    else throw new RecordRejectedException(RecordProblemKind.BadField, $"{field}[{i - 1}] is a {Kind(e)}, expected a path or {{bytes, path}}");
                }
                return;
            default:
                throw new RecordRejectedException(RecordProblemKind.BadField, $"field '{field}' is a {Kind(v)}, expected a list of paths");
        }
    }

    /// <summary>{bytes, path} as HF datasets writes images; in JSON the bytes are base64.</summary>
    private static RawImage ParseImageObject(string where, JsonElement o)
    {
        string? path = null;
        ReadOnlyMemory<byte>? bytes = null;
        if (o.TryGetProperty("path", out var p) && p.ValueKind == JsonValueKind.String) path = p.GetString();
        if (o.TryGetProperty("bytes", out var b) && b.ValueKind == JsonValueKind.String)
        {
            if (!b.TryGetBytesFromBase64(out var arr))
                throw new RecordRejectedException(RecordProblemKind.BadField, $"{where}.bytes is not base64");
            bytes = arr;
        }
        if (path is null && bytes is null)
            throw new RecordRejectedException(RecordProblemKind.BadField, $"{where} has neither 'path' nor 'bytes'");
        return new RawImage(path, bytes);
    }

    private static List<RawTurn> ParseTurns(string field, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Array)
            throw new RecordRejectedException(RecordProblemKind.BadField, $"field '{field}' is a {Kind(v)}, expected a list of turns");
        var turns = new List<RawTurn>();
        int i = 0;
        foreach (var t in v.EnumerateArray())
        {
            if (t.ValueKind != JsonValueKind.Object)
                throw new RecordRejectedException(RecordProblemKind.BadField, $"{field}[{i}] is a {Kind(t)}, expected {{role, content}}");
            // both spellings are accepted in either list: real files mix them
            var role = Str(t, "role") ?? Str(t, "from")
                ?? throw new RecordRejectedException(RecordProblemKind.BadField, $"{field}[{i}] has no 'role' (or 'from')");
            string? content;
            if (t.TryGetProperty("content", out var c) || t.TryGetProperty("value", out c))
            {
                content = c.ValueKind switch
                {
                    JsonValueKind.String => c.GetString(),
                    JsonValueKind.Null => null,
                    _ => throw new RecordRejectedException(RecordProblemKind.BadField, $"{field}[{i}] content is a {Kind(c)}, expected a string"),
                };
            }
            else throw new RecordRejectedException(RecordProblemKind.BadField, $"{field}[{i}] has no 'content' (or 'value')");
            turns.Add(new RawTurn(role, content));
            i++;
        }
        return turns;
    }

    private static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
