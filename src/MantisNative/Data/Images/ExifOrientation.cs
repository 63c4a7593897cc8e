using SkiaSharp;

namespace MantisNative.Data.Images;

/// <summary>
/// Applies an EXIF orientation (tag 0x0112, values 1..8) to decoded pixels, so the image comes out the
/// way a camera's viewer shows it. Skia reports the tag (<see cref="SKCodec.EncodedOrigin"/>) but leaves
/// the pixels as stored; this does the flip/rotation on the RGB buffer.
/// </summary>
public static class ExifOrientation
{
    /// <summary>Returns the image as displayed for the given origin; the same instance for TopLeft (1).</summary>
    public static RgbImage Apply(RgbImage src, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft || (int)origin < 1 || (int)origin > 8) return src;

        int w = src.Width, h = src.Height;
        // Origins 5..8 swap the axes: the stored rows become displayed columns.
        bool swap = origin >= SKEncodedOrigin.LeftTop;
        int ow = swap ? h : w, oh = swap ? w : h;
        var dst = new RgbImage(ow, oh);
        byte[] s = src.Pixels, d = dst.Pixels;

        for (int oy = 0; oy < oh; oy++)
        {
            for (int ox = 0; ox < ow; ox++)
            {
                // (sx, sy): the stored pixel that is displayed at (ox, oy).
                (int sx, int sy) = origin switch
                {
                    SKEncodedOrigin.TopRight => (w - 1 - ox, oy),              // 2: mirror horizontally
                    SKEncodedOrigin.BottomRight => (w - 1 - ox, h - 1 - oy),   // 3: rotate 180
                    SKEncodedOrigin.BottomLeft => (ox, h - 1 - oy),            // 4: mirror vertically
                    SKEncodedOrigin.LeftTop => (oy, ox),                       // 5: transpose
                    SKEncodedOrigin.RightTop => (oy, h - 1 - ox),              // 6: rotate 90 clockwise
                    SKEncodedOrigin.RightBottom => (w - 1 - oy, h - 1 - ox),   // 7: transverse
                    _ => (w - 1 - oy, ox),                                     // 8 LeftBottom: rotate 90 counter-clockwise
                };
                int si = (sy * w + sx) * 3, di = (oy * ow + ox) * 3;
                d[di] = s[si];
                d[di + 1] = s[si + 1];
                d[di + 2] = s[si + 2];
            }
        }
        return dst;
    }
}
