namespace MantisNative.Data.Records;

/// <summary>
/// Where one image of a record comes from: a file (path resolved against the image root)
/// or bytes embedded in the record (HF datasets parquet stores images as {bytes, path} structs).
/// </summary>
public sealed class ImageSource
{
    /// <summary>Absolute path of the file, or null for embedded bytes.</summary>
    public string? FilePath { get; }

    /// <summary>The path as written in the record (relative for files; may be a name only for embedded bytes).</summary>
    public string? OriginalPath { get; }

    /// <summary>The encoded image (PNG, JPEG, ...) when embedded; null for files.</summary>
    public ReadOnlyMemory<byte>? Bytes { get; }

    public bool IsEmbedded => Bytes is not null;

    /// <summary>
    /// A file entry that is a video (a frame folder, an animated .gif, or a video file extension, as
    /// <see cref="Video.VideoFrames.IsVideo"/> tells): it stands for its sampled frames, not for one image.
    /// </summary>
    public bool IsVideo { get; }

    private ImageSource(string? filePath, string? originalPath, ReadOnlyMemory<byte>? bytes)
    {
        FilePath = filePath;
        OriginalPath = originalPath;
        Bytes = bytes;
        IsVideo = filePath is not null && Video.VideoFrames.IsVideo(filePath);
    }

    public static ImageSource FromFile(string fullPath, string? originalPath = null) =>
        new(Path.GetFullPath(fullPath), originalPath ?? fullPath, null);

    public static ImageSource FromBytes(ReadOnlyMemory<byte> bytes, string? originalPath = null) =>
        new(null, originalPath, bytes);

    /// <summary>The encoded bytes, read from disk for files.</summary>
    public byte[] ReadAllBytes() => Bytes is { } b ? b.ToArray() : File.ReadAllBytes(FilePath!);

    /// <summary>Text for messages: the file path, or "embedded image (N bytes)".</summary>
    public override string ToString() =>
        FilePath ?? $"embedded image{(OriginalPath is null ? "" : $" '{OriginalPath}'")} ({Bytes!.Value.Length} bytes)";
}
