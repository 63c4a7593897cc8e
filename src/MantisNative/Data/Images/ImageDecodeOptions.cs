namespace MantisNative.Data.Images;

/// <summary>How <see cref="ImageDecoder"/> turns a file into RGB pixels.</summary>
public sealed record ImageDecodeOptions
{
    public static ImageDecodeOptions Default { get; } = new();

    /// <summary>
    /// Rotate/flip by the EXIF orientation tag (JPEG, WebP) so photos come out upright. Default true.
    /// Note: the Mantis reference loads images with PIL's <c>Image.open(p).convert("RGB")</c>, which does NOT
    /// apply EXIF orientation (that needs <c>ImageOps.exif_transpose</c>), and transformers' image processors do
    /// not either. Set false to reproduce the reference bit for bit on photos that carry the tag.
    /// </summary>
    public bool ApplyExifOrientation { get; init; } = true;

    /// <summary>
    /// Largest accepted width*height. PIL refuses images over 2 x 89,478,485 pixels (DecompressionBombError);
    /// the same limit here keeps a hostile or broken file from allocating gigabytes.
    /// </summary>
    public long MaxPixels { get; init; } = 2L * 89_478_485;
}
