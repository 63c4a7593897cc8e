namespace MantisNative.Data.Video;

/// <summary>
/// Writes animated GIFs (Skia encodes none): a 256-colour global palette, then per frame a graphic control extension
/// (disposal "keep", so an uncovered area shows the frame before) and LZW data that sends a clear code before every
/// pixel, so the code table never grows. Large files, exact pixels; for test clips and sample videos.
/// </summary>
public static class GifWriter
{
    /// <summary>One frame: a rectangle of the canvas and its palette indices, row by row.</summary>
    public sealed record Frame(int X, int Y, int Width, int Height, byte[] Indices);

    public static byte[] Encode(int width, int height, IReadOnlyList<(byte R, byte G, byte B)> palette, IReadOnlyList<Frame> frames, int delayCentiseconds = 4)
    {
        if (palette.Count is < 1 or > 256) throw new ArgumentException($"a GIF palette has 1 to 256 colours, got {palette.Count}", nameof(palette));
        var o = new List<byte>();
        o.AddRange("GIF89a"u8.ToArray());
        o.AddRange(U16(width)); o.AddRange(U16(height));
        o.Add(0x80 | 0x07); // global colour table of 256 entries
        o.Add(0); o.Add(0);
        for (int i = 0; i < 256; i++)
        {
            var (r, g, b) = i < palette.Count ? palette[i] : ((byte)0, (byte)0, (byte)0);
            o.Add(r); o.Add(g); o.Add(b);
        }
        foreach (var f in frames)
        {
            if (f.Indices.Length != f.Width * f.Height) throw new ArgumentException($"frame of {f.Width}x{f.Height} needs {f.Width * f.Height} indices, got {f.Indices.Length}");
            o.AddRange(new byte[] { 0x21, 0xF9, 4, 1 << 2, (byte)(delayCentiseconds & 0xFF), (byte)(delayCentiseconds >> 8), 0, 0 });
            o.Add(0x2C);
            o.AddRange(U16(f.X)); o.AddRange(U16(f.Y)); o.AddRange(U16(f.Width)); o.AddRange(U16(f.Height));
            o.Add(0);
            o.Add(8); // LZW minimum code size: clear = 256, end = 257, 9-bit codes
            var data = Lzw(f.Indices);
            for (int i = 0; i < data.Count; i += 255)
            {
                int n = Math.Min(255, data.Count - i);
                o.Add((byte)n);
                o.AddRange(data.GetRange(i, n));
            }
            o.Add(0);
        }
        o.Add(0x3B);
        return o.ToArray();
    }

    private static List<byte> Lzw(byte[] pixels)
    {
        const int clear = 256, end = 257, bits = 9;
        var bytes = new List<byte>(pixels.Length * 3);
        int acc = 0, n = 0;
        void Put(int code)
        {
            acc |= code << n;
            n += bits;
            while (n >= 8) { bytes.Add((byte)(acc & 0xFF)); acc >>= 8; n -= 8; }
        }
        foreach (var p in pixels) { Put(clear); Put(p); }
        Put(end);
        if (n > 0) bytes.Add((byte)acc);
        return bytes;
    }

    private static byte[] U16(int v) => new[] { (byte)(v & 0xFF), (byte)(v >> 8) };
}
