using System.Runtime.InteropServices;
using MantisNative.Data.Images;
using SkiaSharp;

namespace MantisNative.Data.Video;

/// <summary>
/// Every frame of an animated GIF (or animated WebP) as the viewer sees it: each frame composited over the frame it
/// depends on (Skia's RequiredFrame), alpha dropped as <see cref="ImageDecoder"/> does. A still image is one frame.
/// </summary>
public static class GifFrames
{
    public static int Count(ReadOnlySpan<byte> encoded, string sourceName)
    {
        using var codec = Open(encoded, sourceName, out _);
        return Math.Max(1, codec.FrameCount);
    }

    /// <summary>The frames at <paramref name="indices"/> (null: all), in the order asked; errors name the file.</summary>
    public static List<RgbImage> Decode(ReadOnlySpan<byte> encoded, string sourceName, IReadOnlyList<int>? indices = null)
    {
        using var codec = Open(encoded, sourceName, out var data);
        using var _ = data;
        int count = Math.Max(1, codec.FrameCount);
        var frames = codec.FrameInfo;
        int w = codec.Info.Width, h = codec.Info.Height;
        // the header's size is the file's word: a damaged one must be a message, not an overflow or a huge allocation
        long limit = new ImageDecodeOptions().MaxPixels;
        if (w <= 0 || h <= 0 || (long)w * h > limit)
            throw new MantisException($"video '{sourceName}': its header gives a {w}x{h} canvas ({(long)w * h} pixels; 1..{limit} allowed), a damaged or non-GIF file");
        var wanted = indices ?? Enumerable.Range(0, count).ToArray();
        foreach (var i in wanted)
            if (i < 0 || i >= count) throw new MantisException($"video '{sourceName}': frame {i} asked for, it has {count} frames");
        int last = wanted.Count == 0 ? -1 : wanted.Max();

        // decoded in order so that each frame's required earlier frame is at hand (GIF frames build on each other)
        var rgba = new byte[last + 1][];
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (int i = 0; i <= last; i++)
        {
            int required = frames.Length > i ? frames[i].RequiredFrame : -1;
            var buffer = required >= 0 ? (byte[])rgba[required].Clone() : new byte[w * h * 4];
            var handle = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            SKCodecResult result;
            try { result = codec.GetPixels(info, handle.AddrOfPinnedObject(), w * 4, new SKCodecOptions(i, required)); }
            finally { handle.Free(); }
            if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
                throw new MantisException($"video '{sourceName}': frame {i} of {count} could not be decoded ({result})");
            rgba[i] = buffer;
        }
        return wanted.Select(i => new RgbImage(w, h, DropAlpha(rgba[i]))).ToList();
    }

    private static SKCodec Open(ReadOnlySpan<byte> encoded, string sourceName, out SKData data)
    {
        if (encoded.IsEmpty) throw new MantisException($"video '{sourceName}' is empty (0 bytes)");
        data = SKData.CreateCopy(encoded);
        var codec = SKCodec.Create(new SKMemoryStream(data), out var r);
        if (codec is null)
        {
            data.Dispose();
            throw new MantisException($"video '{sourceName}' is not a readable GIF or image ({r})");
        }
        return codec;
    }

    private static byte[] DropAlpha(byte[] rgba)
    {
        var rgb = new byte[rgba.Length / 4 * 3];
        for (int p = 0, q = 0; p < rgba.Length; p += 4, q += 3)
        {
            rgb[q] = rgba[p];
            rgb[q + 1] = rgba[p + 1];
            rgb[q + 2] = rgba[p + 2];
        }
        return rgb;
    }
}
