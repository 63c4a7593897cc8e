namespace MantisNative.Data.Images;

/// <summary>
/// A processor's <c>size</c> (or <c>crop_size</c>) setting: either an exact {height, width} or
/// {shortest_edge} (scale so the short side has this length, keeping the aspect ratio).
/// </summary>
public sealed record ImageResizeSize(int? Height, int? Width, int? ShortestEdge)
{
    public static ImageResizeSize Exact(int height, int width) => new(height, width, null);
    public static ImageResizeSize Square(int size) => new(size, size, null);
    public static ImageResizeSize Shortest(int edge) => new(null, null, edge);

    public bool IsExact => Height is not null && Width is not null;

    public override string ToString() =>
        IsExact ? $"{{height: {Height}, width: {Width}}}" : $"{{shortest_edge: {ShortestEdge}}}";
}
