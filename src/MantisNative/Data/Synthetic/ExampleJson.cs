using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MantisNative.Data.Synthetic;

/// <summary>
/// One example as a Mantis-Instruct JSONL line, keys in a fixed order: id, images, conversation, then
/// skill, family, options (the answer choices) and scenes (what each image shows, for checks and analysis).
/// </summary>
public static class ExampleJson
{
    /// <summary>Relaxed escaping keeps "&lt;image&gt;" readable in the file (the default encoder writes \u003C).</summary>
    internal static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string ToLine(string id, IReadOnlyList<string> imagePaths, SyntheticExample ex)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Options))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteStartArray("images");
            foreach (var p in imagePaths) w.WriteStringValue(p);
            w.WriteEndArray();
            w.WriteStartArray("conversation");
            Turn(w, "user", ex.Question);
            Turn(w, "assistant", ex.Answer);
            w.WriteEndArray();
            w.WriteString("skill", ex.Skill);
            w.WriteString("family", ex.Family);
            w.WriteStartArray("options");
            foreach (var o in ex.Options) w.WriteStringValue(o);
            w.WriteEndArray();
            w.WriteStartArray("scenes");
            foreach (var s in ex.Scenes)
            {
                w.WriteStartObject();
                w.WriteString("colour", Attributes.Name(s.Colour));
                w.WriteString("shape", Attributes.Name(s.Shape));
                w.WriteNumber("count", s.Count);
                w.WriteStartArray("objects"); // [x, y, size] per object, pixels
                foreach (var o in s.Objects)
                {
                    w.WriteStartArray();
                    w.WriteNumberValue(o.X);
                    w.WriteNumberValue(o.Y);
                    w.WriteNumberValue(o.Size);
                    w.WriteEndArray();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void Turn(Utf8JsonWriter w, string role, string content)
    {
        w.WriteStartObject();
        w.WriteString("role", role);
        w.WriteString("content", content);
        w.WriteEndObject();
    }

    /// <summary>Reads the `scenes` metadata of a record back (tests and analysis re-derive answers from it).</summary>
    public static IReadOnlyList<Scene> ParseScenes(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(s => new Scene(
            Attributes.ParseColour(s.GetProperty("colour").GetString()!),
            Attributes.ParseShape(s.GetProperty("shape").GetString()!),
            s.GetProperty("objects").EnumerateArray().Select(o => new SceneObject(o[0].GetInt32(), o[1].GetInt32(), o[2].GetInt32())).ToArray()))
            .ToArray();
    }
}
