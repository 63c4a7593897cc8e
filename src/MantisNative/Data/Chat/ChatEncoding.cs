namespace MantisNative.Data.Chat;

/// <summary>
/// A conversation as model input: token ids, labels (-100 = not learned), and where the image tokens are
/// (each stands for one image, which the model expands to its features). A skipped example carries only
/// the reason: it could not be made to fit without damage.
/// </summary>
public sealed class ChatEncoding
{
    public const int IgnoreLabel = -100;

    public required string RecordId { get; init; }
    public int[] InputIds { get; init; } = Array.Empty<int>();

    /// <summary>Training targets aligned with <see cref="InputIds"/> (not shifted); null for generation prompts.</summary>
    public int[]? Labels { get; init; }

    /// <summary>Indices into <see cref="InputIds"/> of the image tokens, in image order.</summary>
    public int[] ImagePositions { get; init; } = Array.Empty<int>();

    public int ImageCount => ImagePositions.Length;

    /// <summary>Length once each image counts as ImageTokenLength positions.</summary>
    public int ExpandedLength { get; init; }

    public bool Truncated { get; init; }

    /// <summary>Why the example was left out (null when it was not).</summary>
    public string? SkipReason { get; init; }

    public bool Skipped => SkipReason is not null;

    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();
}
