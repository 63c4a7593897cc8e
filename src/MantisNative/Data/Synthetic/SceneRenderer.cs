using SkiaSharp;

namespace MantisNative.Data.Synthetic;

/// <summary>
/// Draws a <see cref="Scene"/> with SkiaSharp (antialiased paths on a light, slightly varied background),
/// adds small per-pixel noise from the example's RNG, and encodes a PNG. Same scene and RNG state give the same bytes.
/// </summary>
public static class SceneRenderer
{
    /// <summary>Noise amplitude per channel: enough that pixels are never exactly the palette, small enough to keep colours obvious.</summary>
    public const int NoiseAmplitude = 6;

    public static byte[] RenderPng(Scene scene, int imageSize, DeterministicRng rng)
    {
        using var bitmap = Render(scene, imageSize, rng);
        using var pixmap = bitmap.PeekPixels();
        using var data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6))
            ?? throw new InvalidOperationException("PNG encoding failed");
        return data.ToArray();
    }

    public static SKBitmap Render(Scene scene, int imageSize, DeterministicRng rng)
    {
        var bitmap = new SKBitmap(new SKImageInfo(imageSize, imageSize, SKColorType.Rgba8888, SKAlphaType.Opaque));
        int bg = rng.Range(228, 246);
        var background = new SKColor((byte)(bg + rng.Range(-3, 3)), (byte)(bg + rng.Range(-3, 3)), (byte)(bg + rng.Range(-3, 3)));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(background);
            var (r, g, b) = Attributes.Rgb(scene.Colour);
            using var paint = new SKPaint { Color = new SKColor(r, g, b), IsAntialias = true, Style = SKPaintStyle.Fill };
            foreach (var o in scene.Objects) Draw(canvas, paint, scene.Shape, o);
        }
        AddNoise(bitmap, rng);
        return bitmap;
    }

    private static void Draw(SKCanvas canvas, SKPaint paint, ShapeKind shape, SceneObject o)
    {
        float cx = o.X, cy = o.Y, h = o.Size / 2f;
        switch (shape)
        {
            case ShapeKind.Circle:
                canvas.DrawCircle(cx, cy, h, paint);
                break;
            case ShapeKind.Square:
                // a little smaller than the box so its area is close to the circle's: size must not tell shapes apart
                float q = h * 0.88f;
                canvas.DrawRect(new SKRect(cx - q, cy - q, cx + q, cy + q), paint);
                break;
            case ShapeKind.Triangle:
                using (var path = new SKPath())
                {
                    path.MoveTo(cx, cy - h);
                    path.LineTo(cx + h, cy + h);
                    path.LineTo(cx - h, cy + h);
                    path.Close();
                    canvas.DrawPath(path, paint);
                }
                break;
            default:
                float t = h * 0.36f;
                canvas.DrawRect(new SKRect(cx - h, cy - t, cx + h, cy + t), paint);
                canvas.DrawRect(new SKRect(cx - t, cy - h, cx + t, cy + h), paint);
                break;
        }
    }

    private static unsafe void AddNoise(SKBitmap bitmap, DeterministicRng rng)
    {
        byte* p = (byte*)bitmap.GetPixels();
        int n = bitmap.Width * bitmap.Height;
        for (int i = 0; i < n; i++, p += 4)
            for (int ch = 0; ch < 3; ch++)
                p[ch] = (byte)Math.Clamp(p[ch] + rng.Range(-NoiseAmplitude, NoiseAmplitude), 0, 255);
    }
}
