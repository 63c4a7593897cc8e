using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace MantisNative.Tests.Data.Images;

/// <summary>Builds small encoded images in memory for decoder tests (Skia's encoders, or by hand where Skia has none).</summary>
internal static class TestImageFiles
{
    /// <summary>Encodes RGBA (unpremultiplied) pixels with Skia: PNG, JPEG or WebP (lossless at quality 100).</summary>
    public static byte[] Encode(int w, int h, byte[] rgba, SKEncodedImageFormat format, int quality = 100)
    {
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            using var pixmap = new SKPixmap(info, handle.AddrOfPinnedObject(), w * 4);
            using SKData? data = format switch
            {
                SKEncodedImageFormat.Webp => pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, quality)),
                SKEncodedImageFormat.Jpeg => pixmap.Encode(new SKJpegEncoderOptions(quality, SKJpegEncoderDownsample.Downsample444, SKJpegEncoderAlphaOption.Ignore)),
                _ => pixmap.Encode(SKPngEncoderOptions.Default),
            };
            return data?.ToArray() ?? throw new InvalidOperationException($"Skia could not encode {format}");
        }
        finally
        {
            handle.Free();
        }
    }

    /// <summary>RGBA buffer with every pixel set by f(x, y).</summary>
    public static byte[] Rgba(int w, int h, Func<int, int, (byte R, byte G, byte B, byte A)> f)
    {
        var p = new byte[w * h * 4];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var (r, g, b, a) = f(x, y);
                int i = (y * w + x) * 4;
                p[i] = r; p[i + 1] = g; p[i + 2] = b; p[i + 3] = a;
            }
        return p;
    }

    /// <summary>
    /// Inserts an APP1 "Exif" segment holding only the Orientation tag (0x0112) right after the JPEG's SOI marker.
    /// TIFF part is big-endian ("MM"): header, one IFD with one SHORT entry, next-IFD offset 0.
    /// </summary>
    public static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        var tiff = new List<byte> { (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8 };    // byte order, magic 42, IFD0 at offset 8
        tiff.AddRange([0, 1]);                                                   // one entry
        tiff.AddRange([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0]); // tag 0x0112, type SHORT, count 1, value
        tiff.AddRange([0, 0, 0, 0]);                                             // no next IFD
        byte[] payload = [.. "Exif\0\0"u8.ToArray(), .. tiff];
        int len = payload.Length + 2;
        byte[] segment = [0xFF, 0xE1, (byte)(len >> 8), (byte)len, .. payload];
        if (jpeg[0] != 0xFF || jpeg[1] != 0xD8) throw new InvalidOperationException("not a JPEG");
        return [.. jpeg.AsSpan(0, 2), .. segment, .. jpeg.AsSpan(2)];
    }

    /// <summary>
    /// A GIF89a with a 4-colour global palette and one frame per index array (all frames full size).
    /// Each frame's LZW stream sends a clear code every two pixels so every code stays 3 bits wide,
    /// which keeps the hand-written encoder trivially correct.
    /// </summary>
    public static byte[] Gif(int w, int h, byte[][] palette, params byte[][] frames) => Gif(w, h, palette, -1, frames);

    /// <summary>Same, with a graphic control extension marking <paramref name="transparentIndex"/> transparent (if >= 0).</summary>
    public static byte[] Gif(int w, int h, byte[][] palette, int transparentIndex, params byte[][] frames)
    {
        var o = new List<byte>();
        o.AddRange("GIF89a"u8.ToArray());
        o.AddRange([(byte)w, (byte)(w >> 8), (byte)h, (byte)(h >> 8), 0x91, 0, 0]); // global table, 4 entries
        foreach (var c in palette) o.AddRange(c);
        foreach (var indices in frames)
        {
            if (transparentIndex >= 0) o.AddRange([0x21, 0xF9, 4, 0x01, 0, 0, (byte)transparentIndex, 0]);
            o.AddRange([0x2C, 0, 0, 0, 0, (byte)w, (byte)(w >> 8), (byte)h, (byte)(h >> 8), 0]);
            o.Add(2); // LZW minimum code size: clear = 4, end = 5
            var codes = new List<int>();
            for (int i = 0; i < indices.Length; i++)
            {
                if (i % 2 == 0) codes.Add(4);
                codes.Add(indices[i]);
            }
            codes.Add(5);
            var bytes = new List<byte>();
            int acc = 0, nbits = 0;
            foreach (int code in codes)
            {
                acc |= code << nbits;
                nbits += 3;
                while (nbits >= 8) { bytes.Add((byte)acc); acc >>= 8; nbits -= 8; }
            }
            if (nbits > 0) bytes.Add((byte)acc);
            for (int i = 0; i < bytes.Count; i += 255)
            {
                int n = Math.Min(255, bytes.Count - i);
                o.Add((byte)n);
                o.AddRange(bytes.GetRange(i, n));
            }
            o.Add(0);
        }
        o.Add(0x3B);
        return o.ToArray();
    }

    /// <summary>
    /// A PNG written chunk by chunk: colorType 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA; rows given
    /// unfiltered (filter byte 0 is added). Lets tests cover what Skia cannot encode (palette, 16-bit).
    /// </summary>
    public static byte[] Png(int w, int h, int bitDepth, int colorType, byte[][] rows, byte[]? plte = null, byte[]? trns = null, (string Type, byte[] Data)[]? extra = null)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)colorType;
        Chunk(ms, "IHDR", ihdr);
        foreach (var (type, data) in extra ?? []) Chunk(ms, type, data);
        if (plte is not null) Chunk(ms, "PLTE", plte);
        if (trns is not null) Chunk(ms, "tRNS", trns);
        using var raw = new MemoryStream();
        using (var z = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            foreach (var row in rows) { z.WriteByte(0); z.Write(row); }
        }
        Chunk(ms, "IDAT", raw.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(len, data.Length);
        s.Write(len);
        byte[] typed = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        s.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32(typed));
        s.Write(len);
    }

    private static uint Crc32(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }
}
