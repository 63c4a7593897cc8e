namespace MantisNative.Data.Chat;

/// <summary>What to do when a record's "&lt;image&gt;" tags and its images differ in number.</summary>
public enum ImageTagMismatch
{
    /// <summary>Throw a MantisException naming the record (default: data is never changed silently).</summary>
    Error,

    /// <summary>
    /// The Mantis reference's fix, with a warning: missing tags are inserted at the start of the first
    /// user message, surplus tags (the last ones) are removed.
    /// </summary>
    FixWithWarning,
}

/// <summary>Settings of <see cref="Llama3ChatFormat"/>.</summary>
public sealed record ChatFormatOptions
{
    /// <summary>Text of a system turn put first; null (default) renders no system turn, like Llama-3's template.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>The tag that stands for an image in message text and the token that carries it; null: no image handling.</summary>
    public string? ImagePlaceholder { get; init; } = "<image>";

    /// <summary>
    /// How many sequence positions one image takes after the model expands it (728 for SigLIP-384,
    /// 576 for CLIP-336); 1 if the caller counts the expansion itself. Used for <see cref="MaxLength"/>.
    /// </summary>
    public int ImageTokenLength { get; init; } = 1;

    /// <summary>Longest sequence kept, counting images expanded; null: no limit.</summary>
    public int? MaxLength { get; init; }

    public ImageTagMismatch OnMismatch { get; init; } = ImageTagMismatch.Error;

    /// <summary>Strip whitespace around each message's content, as Llama-3's chat template does ("| trim").</summary>
    public bool TrimContent { get; init; } = true;

    /// <summary>Called with each warning (they are also in <see cref="ChatEncoding.Warnings"/>).</summary>
    public Action<string>? OnWarning { get; init; }
}
