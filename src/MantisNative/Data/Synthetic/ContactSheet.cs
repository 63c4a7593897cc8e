using SkiaSharp;

namespace MantisNative.Data.Synthetic;

/// <summary>A preview PNG: one row per task family (the images of its first example), enlarged with nearest sampling
/// so the real pixels stay visible. For a person to check at a glance that shapes and colours read well.</summary>
internal static class ContactSheet
{
    public static byte[] Build(IReadOnlyList<IReadOnlyList<byte[]>> rows, int imageSize, int scale = 4)
    {
        int cell = imageSize * scale, gap = 4;
        int cols = Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => r.Count));
        var info = new SKImageInfo(cols * (cell + gap) + gap, rows.Count * (cell + gap) + gap, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var sheet = new SKBitmap(info);
        using (var canvas = new SKCanvas(sheet))
        {
            canvas.Clear(new SKColor(60, 60, 60));
            for (int r = 0; r < rows.Count; r++)
                for (int c = 0; c < rows[r].Count; c++)
                {
                    using var img = SKBitmap.Decode(rows[r][c]);
                    var dst = SKRect.Create(gap + c * (cell + gap), gap + r * (cell + gap), cell, cell);
                    using var image = SKImage.FromBitmap(img);
                    canvas.DrawImage(image, dst, new SKSamplingOptions(SKFilterMode.Nearest));
                }
        }
        using var pixmap = sheet.PeekPixels();
        using var data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6))
            ?? throw new InvalidOperationException("PNG encoding failed");
        return data.ToArray();
    }
}
