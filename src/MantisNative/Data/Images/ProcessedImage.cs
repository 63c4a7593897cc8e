namespace MantisNative.Data.Images;

/// <summary>
/// One image ready for the vision tower: float32 in CHW order, [3, Height, Width] — one row of the
/// collator's pixel tensor [n_images, 3, H, W], the layout transformers' processors return.
/// </summary>
public sealed record ProcessedImage(float[] Data, int Height, int Width)
{
    public const int Channels = 3;

    /// <summary>Value of channel c at (x, y).</summary>
    public float this[int c, int y, int x] => Data[(c * Height + y) * Width + x];
}
