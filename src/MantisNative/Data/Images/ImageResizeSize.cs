namespace MantisNative.Data.Images;

/// <summary>
/// A processor's <c>size</c> (or <c>crop_size</c>) setting: either an exact {height, width} or
/// {shortest_edge} (scale so the short side has this length, keeping the aspect ratio).
/// </summary>
public sealed record ImageResizeSize(int? Height, int? Width, int? ShortestEdge)
{
    /// <summary>
    /// The largest side a processed image may have: 3 x 16384 x 16384 floats is 3.2 GB, and a larger side
    /// overflows the int-indexed pixel buffers (a SigLIP/CLIP tower is 224-448).
    /// </summary>
    public const int MaxSide = 16384;

    public static ImageResizeSize Exact(int height, int width) => new(Checked(height, "height"), Checked(width, "width"), null);
    public static ImageResizeSize Square(int size) => new(Checked(size, "size"), Checked(size, "size"), null);
    public static ImageResizeSize Shortest(int edge) => new(null, null, Checked(edge, "shortest_edge"));

    private static int Checked(int side, string what) => side is > 0 and <= MaxSide ? side
        : throw new MantisException($"image processor {what} {side} is out of range (1..{MaxSide})");

    public bool IsExact => Height is not null && Width is not null;

    public override string ToString() =>
        IsExact ? $"{{height: {Height}, width: {Width}}}" : $"{{shortest_edge: {ShortestEdge}}}";
}
