namespace MantisNative.Data.Records;

/// <summary>One image reference as written in a record, before resolution: a path, embedded bytes, or both.</summary>
internal readonly record struct RawImage(string? Path, ReadOnlyMemory<byte>? Bytes);

/// <summary>One turn as written: the role spelled as in the file (`human`, `gpt`, ...) and its text.</summary>
internal readonly record struct RawTurn(string Role, string? Content);

/// <summary>
/// A record as extracted from JSON or Parquet, before validation. Both formats fill this one shape
/// so that validation (<see cref="RecordValidator"/>) is written once.
/// </summary>
internal sealed class RawRecord
{
    public string? Id;
    public List<RawImage> Images = new();
    /// <summary>null when the record has neither `conversation` nor `conversations`.</summary>
    public List<RawTurn>? Turns;
    public Dictionary<string, string> Metadata = new(StringComparer.Ordinal);

    /// <summary>Field names with a meaning of their own; everything else goes to Metadata.</summary>
    public static bool IsKnownField(string name) =>
        name is "id" or "images" or "image" or "conversation" or "conversations";
}
