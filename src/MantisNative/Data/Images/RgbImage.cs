namespace MantisNative.Data.Images;

/// <summary>
/// An 8-bit RGB image, rows top to bottom, pixels interleaved R,G,B (HWC), no padding between rows.
/// This is what PIL's <c>Image.convert("RGB")</c> gives and what the processors resize, so it is the
/// one pixel layout the whole image path agrees on.
/// </summary>
public sealed class RgbImage
{
    public int Width { get; }
    public int Height { get; }

    /// <summary>Width * Height * 3 bytes, row-major, R,G,B per pixel.</summary>
    public byte[] Pixels { get; }

    public RgbImage(int width, int height, byte[] pixels)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} must be positive");
        if (pixels.Length != checked(width * height * 3))
            throw new ArgumentException($"pixel buffer has {pixels.Length} bytes, expected {width}x{height}x3 = {width * height * 3}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public RgbImage(int width, int height) : this(width, height, new byte[checked(width * height * 3)]) { }

    /// <summary>The pixel at (x, y) as (R, G, B); for tests and diagnostics, not for hot loops.</summary>
    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            int i = (y * Width + x) * 3;
            return (Pixels[i], Pixels[i + 1], Pixels[i + 2]);
        }
    }
}
