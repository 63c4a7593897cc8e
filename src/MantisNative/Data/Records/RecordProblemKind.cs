namespace MantisNative.Data.Records;

/// <summary>Why a record was skipped. One value per distinct cause so the end-of-pass table is actionable.</summary>
public enum RecordProblemKind
{
    /// <summary>A JSONL line or JSON array element that does not parse.</summary>
    MalformedJson,
    /// <summary>A record that is not an object, or a Parquet row that cannot be read.</summary>
    NotARecord,
    /// <summary>No `conversation` / `conversations` field.</summary>
    MissingField,
    /// <summary>A field of the wrong type (e.g. `images` is a number, a turn has no role).</summary>
    BadField,
    /// <summary>An image file that does not exist.</summary>
    MissingImage,
    /// <summary>An image path that is absolute or leads out of the image root (refused unless allowed).</summary>
    ImagePathOutsideRoot,
    /// <summary>An image file that exists but cannot be read (permissions, I/O).</summary>
    UnreadableImage,
    /// <summary>Bytes that do not decode as an image, or decode to zero size.</summary>
    CorruptImage,
    /// <summary>The number of `&lt;image&gt;` tags differs from the number of images.</summary>
    ImageTagMismatch,
    /// <summary>The conversation has no turns.</summary>
    EmptyConversation,
    /// <summary>A turn with empty or whitespace-only content.</summary>
    EmptyTurn,
    /// <summary>A role other than system/user/assistant/human/gpt.</summary>
    UnknownRole,
    /// <summary>Turns that do not alternate user/assistant starting with user (after an optional system turn).</summary>
    TurnOrder,
    /// <summary>A training record whose last turn is not the assistant's.</summary>
    NoFinalAnswer,
}

/// <summary>One reason a record was rejected: what, and the detail (field, path, counts).</summary>
public sealed record RecordProblem(RecordProblemKind Kind, string Detail);

/// <summary>Thrown inside the readers to reject one record; never escapes the reader (it becomes a skip or a MantisException).</summary>
internal sealed class RecordRejectedException : Exception
{
    public RecordProblem Problem { get; }
    /// <summary>The record's id when it was read before the problem was found.</summary>
    public string? RecordId { get; set; }
    public RecordRejectedException(RecordProblemKind kind, string detail) : base(detail) => Problem = new RecordProblem(kind, detail);
}
