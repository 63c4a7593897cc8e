namespace MantisNative.Data.Images;

/// <summary>
/// transformers' <c>image_transforms.center_crop</c> on 8-bit RGB: offsets floor((orig - crop) / 2); an image
/// smaller than the crop is first padded with zeros (black), placed at ceil((new - orig) / 2). Done before
/// rescale/normalize as CLIPImageProcessor does, so padding becomes (0 - mean) / std.
/// </summary>
public static class CenterCrop
{
    public static RgbImage Apply(RgbImage src, int cropHeight, int cropWidth)
    {
        if (cropHeight <= 0 || cropWidth <= 0) throw new ArgumentOutOfRangeException(nameof(cropHeight), $"crop size {cropHeight}x{cropWidth} must be positive");
        int h = src.Height, w = src.Width;
        int top = FloorDiv(h - cropHeight, 2), left = FloorDiv(w - cropWidth, 2);

        // Padding case: the canvas grows to max(crop, orig) and the image sits at ceil(pad / 2); then the crop
        // window shifts by the same amount. Both cases reduce to "copy the overlap, zeros elsewhere".
        int topPad = 0, leftPad = 0;
        if (top < 0 || left < 0)
        {
            topPad = CeilDiv(Math.Max(cropHeight, h) - h, 2);
            leftPad = CeilDiv(Math.Max(cropWidth, w) - w, 2);
        }
        // Window in the padded canvas is [top + topPad, +cropHeight); the image occupies [topPad, topPad + h).
        int winTop = top + topPad, winLeft = left + leftPad;

        var dst = new RgbImage(cropWidth, cropHeight);
        byte[] s = src.Pixels, d = dst.Pixels;
        for (int y = 0; y < cropHeight; y++)
        {
            int sy = winTop + y - topPad;
            if (sy < 0 || sy >= h) continue;
            int x0 = Math.Max(0, leftPad - winLeft), x1 = Math.Min(cropWidth, leftPad + w - winLeft);
            if (x1 <= x0) continue;
            int sx0 = winLeft + x0 - leftPad;
            Buffer.BlockCopy(s, (sy * w + sx0) * 3, d, (y * cropWidth + x0) * 3, (x1 - x0) * 3);
        }
        return dst;
    }

    // Python's // (rounds toward negative infinity) and math.ceil of a true division.
    private static int FloorDiv(int a, int b) => (int)Math.Floor((double)a / b);
    private static int CeilDiv(int a, int b) => (int)Math.Ceiling((double)a / b);
}
