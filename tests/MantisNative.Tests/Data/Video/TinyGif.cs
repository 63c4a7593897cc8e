namespace MantisNative.Tests.Data.Video;

/// <summary>
/// Writes small animated GIFs by hand (Skia encodes no GIF): a global palette, then per frame a graphic control
/// extension (disposal "keep") and an image descriptor whose LZW data sends a clear code before every pixel, so the
/// code table never grows and no compression is needed.
/// </summary>
internal static class TinyGif
{
    public sealed record Frame(int X, int Y, int W, int H, byte Index);

    public static byte[] Encode(int width, int height, (byte R, byte G, byte B)[] palette, IReadOnlyList<Frame> frames)
    {
        if (palette.Length != 4) throw new ArgumentException("4-colour palette");
        var o = new List<byte>();
        o.AddRange("GIF89a"u8.ToArray());
        o.AddRange(U16(width)); o.AddRange(U16(height));
        o.Add(0x80 | 0x01); // global colour table, 2^(1+1) = 4 entries
        o.Add(0); o.Add(0);
        foreach (var (r, g, b) in palette) { o.Add(r); o.Add(g); o.Add(b); }
        foreach (var f in frames)
        {
            o.AddRange(new byte[] { 0x21, 0xF9, 4, 1 << 2, 10, 0, 0, 0 }); // disposal 1 (keep), 0.1 s, no transparency
            o.Add(0x2C);
            o.AddRange(U16(f.X)); o.AddRange(U16(f.Y)); o.AddRange(U16(f.W)); o.AddRange(U16(f.H));
            o.Add(0);
            o.Add(2); // LZW minimum code size
            var data = Lzw(Enumerable.Repeat(f.Index, f.W * f.H).ToArray());
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
        const int clear = 4, end = 5, bits = 3;
        var codes = new List<int>();
        foreach (var p in pixels) { codes.Add(clear); codes.Add(p); }
        codes.Add(end);
        var bytes = new List<byte>();
        int acc = 0, n = 0;
        foreach (var c in codes)
        {
            acc |= c << n;
            n += bits;
            while (n >= 8) { bytes.Add((byte)(acc & 0xFF)); acc >>= 8; n -= 8; }
        }
        if (n > 0) bytes.Add((byte)acc);
        return bytes;
    }

    private static byte[] U16(int v) => new[] { (byte)(v & 0xFF), (byte)(v >> 8) };
}
