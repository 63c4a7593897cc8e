namespace MantisNative.Data.Images;

/// <summary>
/// The one thing about a GIF's first frame that Skia does not give back: which colour PIL shows where Skia
/// writes transparent pixels. Skia fills the transparent palette index (and any canvas area the first frame
/// does not cover) with transparent black; PIL keeps the frame as palette indices, fills uncovered canvas with
/// the transparency index (index 0 when there is none) and its <c>convert("RGB")</c> shows that palette entry.
/// </summary>
internal static class GifFirstFrame
{
    /// <summary>
    /// The RGB colour PIL gives the first frame's transparent (or uncovered) pixels, or null when the file
    /// cannot be walked this far (Skia then reports the real error, or there is nothing to fix).
    /// </summary>
    public static (byte R, byte G, byte B)? TransparentColor(ReadOnlySpan<byte> gif)
    {
        try
        {
            return Walk(gif);
        }
        catch (IndexOutOfRangeException)
        {
            return null;   // truncated header/extension area: leave it to the decoder's own error
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static (byte, byte, byte)? Walk(ReadOnlySpan<byte> g)
    {
        if (g.Length < 13 || g[0] != 'G' || g[1] != 'I' || g[2] != 'F') return null;
        int p = 13;
        ReadOnlySpan<byte> palette = default;
        if ((g[10] & 0x80) != 0)
        {
            int n = 3 << ((g[10] & 7) + 1);
            palette = g.Slice(p, n);
            p += n;
        }
        int transparent = -1;
        while (p < g.Length)
        {
            byte block = g[p++];
            if (block == 0x21)                       // extension: label, then sub-blocks
            {
                byte label = g[p++];
                if (label == 0xF9 && g[p] >= 4 && (g[p + 1] & 1) != 0) transparent = g[p + 4];
                p = SkipSubBlocks(g, p);
            }
            else if (block == 0x2C)                  // first image descriptor: its local table wins
            {
                byte flags = g[p + 8];
                if ((flags & 0x80) != 0) palette = g.Slice(p + 9, 3 << ((flags & 7) + 1));
                int index = transparent >= 0 ? transparent : 0;
                if (palette.Length < (index + 1) * 3) return null;
                return (palette[index * 3], palette[index * 3 + 1], palette[index * 3 + 2]);
            }
            else return null;                        // trailer (no frame) or unknown block
        }
        return null;
    }

    private static int SkipSubBlocks(ReadOnlySpan<byte> g, int p)
    {
        while (g[p] != 0) p += g[p] + 1;
        return p + 1;
    }
}
