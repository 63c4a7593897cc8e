using System.Text.Json;

namespace MantisNative.Inference;

/// <summary>
/// chat_config.json of a model folder: how the model was trained to be prompted. Only "system_prompt" is read
/// (a string, or null/absent for no system turn); a model trained with a system turn answers best with the same one.
/// </summary>
public sealed record ChatConfig(string? SystemPrompt)
{
    public const string FileName = "chat_config.json";

    /// <summary>Reads <paramref name="folder"/>/chat_config.json; a folder without one gives no system prompt.</summary>
    public static ChatConfig Load(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return new ChatConfig((string?)null);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new MantisException($"{path}: expected a JSON object");
            if (!doc.RootElement.TryGetProperty("system_prompt", out var p) || p.ValueKind == JsonValueKind.Null) return new ChatConfig((string?)null);
            if (p.ValueKind != JsonValueKind.String) throw new MantisException($"{path}: \"system_prompt\" must be a string or null, got {p.ValueKind}");
            return new ChatConfig(p.GetString());
        }
        catch (JsonException e) { throw new MantisException($"{path}: not valid JSON ({e.Message})", e); }
    }

    /// <summary>Writes chat_config.json into <paramref name="folder"/> (what the trainer records beside a checkpoint).</summary>
    public void Save(string folder)
    {
        // Utf8JsonWriter rather than JsonSerializer: the published binary is trimmed, and reflection-based
        // serialization is not trim-safe
        IO.AtomicFile.Write(Path.Combine(folder, FileName), fs =>
        {
            using (var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                if (SystemPrompt is null) w.WriteNull("system_prompt");
                else w.WriteString("system_prompt", SystemPrompt);
                w.WriteEndObject();
            }
            fs.WriteByte((byte)'\n');
        });
    }
}
