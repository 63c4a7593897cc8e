using System.Text.Json;

namespace MantisNative.Data.Records;

/// <summary>
/// One validated Mantis-Instruct example: images in order, turns normalised to system/user/assistant,
/// and any other top-level fields (e.g. `skill`, `family` of the synthetic set) kept in <see cref="Metadata"/>.
/// </summary>
public sealed class InstructRecord
{
    /// <summary>The record's `id`, or "file:line" when the record has none.</summary>
    public required string Id { get; init; }
    public required IReadOnlyList<ImageSource> Images { get; init; }
    public required IReadOnlyList<Turn> Turns { get; init; }
    /// <summary>The file the record came from (full path).</summary>
    public required string SourceFile { get; init; }
    /// <summary>1-based line (JSONL, JSON) or 0-based row index (Parquet), see <see cref="Location"/>.</summary>
    public required long Line { get; init; }
    /// <summary>Extra top-level fields: strings as they are, other JSON values as their JSON text.</summary>
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }
    /// <summary>"file:line" (JSON, JSONL) or "file row N" (Parquet), for messages.</summary>
    public required string Location { get; init; }

    public string? Get(string key) => Metadata.TryGetValue(key, out var v) ? v : null;

    /// <summary>A metadata value that holds a JSON array of strings (e.g. `options`), or null when absent.</summary>
    public IReadOnlyList<string>? GetList(string key)
    {
        if (!Metadata.TryGetValue(key, out var raw)) return null;
        try
        {
            using var doc = JsonDocument.Parse(raw);
            if (doc.RootElement.ValueKind != JsonValueKind.Array) return null;
            return doc.RootElement.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText()).ToList();
        }
        catch (JsonException) { return null; }
    }

    /// <summary>Number of `&lt;image&gt;` placeholders over all turns.</summary>
    public int ImageTagCount => Turns.Sum(t => ImageTags.Count(t.Content));
}
