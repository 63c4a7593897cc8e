namespace MantisNative.Data.Records;

/// <summary>How records are read and validated.</summary>
public sealed class RecordReaderOptions
{
    /// <summary>Folder that relative image paths are resolved against; null means the folder of each record file.</summary>
    public string? ImageRoot { get; init; }

    /// <summary>
    /// Let image paths be absolute or lead out of the image root (`..`). Off by default: a data set from elsewhere
    /// could otherwise make the trainer read any file the user can read.
    /// </summary>
    public bool AllowExternalImagePaths { get; init; }

    /// <summary>The first bad record throws a <see cref="MantisException"/> (file, line, reason) instead of being skipped.</summary>
    public bool Strict { get; init; }

    public ImageCheckMode ImageCheck { get; init; } = ImageCheckMode.Decode;

    /// <summary>Training needs a final assistant turn to learn from; inference/eval records may end with the user.</summary>
    public bool RequireFinalAssistant { get; init; } = true;

    public static RecordReaderOptions Default { get; } = new();
}
