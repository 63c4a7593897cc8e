namespace MantisNative.Data.Records;

/// <summary>How much of each image the reader checks before accepting a record.</summary>
public enum ImageCheckMode
{
    /// <summary>Do not touch the images (fast listing; bad images surface later in the loader).</summary>
    None,
    /// <summary>The file exists (or bytes are embedded): no read.</summary>
    Exists,
    /// <summary>The header parses (SKCodec) and gives a non-zero size: catches wrong formats and garbage.</summary>
    Header,
    /// <summary>Header plus a full decode at the smallest size the codec offers: also catches truncated files.</summary>
    Decode,
}
