using System.Buffers;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace MantisNative.Data.Images;

/// <summary>
/// Decodes PNG, JPEG, WebP, GIF (first frame) and the other formats Skia reads (BMP, ICO, WBMP) into
/// 8-bit RGB, matching PIL's <c>Image.open(p).convert("RGB")</c>: grayscale is replicated into R=G=B,
/// palettes are expanded, alpha is dropped (not composited over any background).
/// </summary>
/// <remarks>
/// Pixels are requested as unpremultiplied RGBA8888 with no destination colour space: Skia would otherwise
/// premultiply by alpha (changing RGB wherever alpha &lt; 255) and could apply an embedded ICC profile, and
/// PIL does neither. GIF pixels that Skia leaves transparent get the palette colour PIL shows there
/// (<see cref="GifFirstFrame"/>). 16-bit PNGs keep the high byte of each sample, as PIL does for 16-bit RGB(A).
/// Checked byte for byte against Pillow 9.4 (tests/.../fixtures/pil-images): baseline JPEG (4:2:0, 4:4:4,
/// CMYK), lossy and lossless WebP, GIF, palette PNG with tRNS, gray+alpha PNG. Known difference: a 16-bit
/// grayscale PNG is PIL mode "I", whose convert("RGB") clips values to 255 instead of taking the high byte.
/// </remarks>
public static class ImageDecoder
{
    /// <summary>Reads and decodes an image file; any problem is a <see cref="MantisException"/> naming the file.</summary>
    public static RgbImage DecodeFile(string path, ImageDecodeOptions? options = null)
    {
        byte[] bytes;
        if (Directory.Exists(path)) throw new MantisException($"image file '{path}' is a directory, not an image");
        if (Interop.PosixFileType.IsRegularOrDirectory(path) == false)
            throw new MantisException($"image file '{path}' is not a regular file (a pipe, socket or device)"); // reading a FIFO blocks
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            throw new MantisException($"image file '{path}' not found");
        }
        catch (DirectoryNotFoundException)
        {
            throw new MantisException($"image file '{path}' not found (its directory does not exist)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MantisException($"image file '{path}' cannot be read: {e.Message}", e);
        }
        return Decode(bytes, path, options);
    }

    /// <summary>Decodes an encoded image held in memory; <paramref name="sourceName"/> names it in errors.</summary>
    public static RgbImage Decode(ReadOnlySpan<byte> encoded, string sourceName, ImageDecodeOptions? options = null)
    {
        options ??= ImageDecodeOptions.Default;
        if (encoded.IsEmpty) throw new MantisException($"image '{sourceName}' is empty (0 bytes)");
        if (PngStructure.IsPng(encoded) && PngStructure.Problem(encoded) is { } pngProblem)
            throw new MantisException($"image '{sourceName}' (PNG) could not be decoded: {pngProblem}");

        using var data = SKData.CreateCopy(encoded);
        // The codec takes ownership of the stream (Skia frees it with the codec, or at once if creation fails).
        using var codec = SKCodec.Create(new SKMemoryStream(data), out SKCodecResult createResult);
        if (codec is null)
            throw new MantisException($"image '{sourceName}' is not a readable image (PNG, JPEG, WebP, GIF, BMP): {Describe(createResult)}");

        int w = codec.Info.Width, h = codec.Info.Height;
        if (w <= 0 || h <= 0)
            throw new MantisException($"image '{sourceName}' has an invalid size {w}x{h}");
        if ((long)w * h > options.MaxPixels)
            throw new MantisException($"image '{sourceName}' is {w}x{h} = {(long)w * h} pixels, more than the limit of {options.MaxPixels}");

        // Pooled: a photo's RGBA buffer is megabytes (large-object heap) and lives only until DropAlpha.
        var rgba = ArrayPool<byte>.Shared.Rent(checked(w * h * 4));
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        SKCodecResult result;
        var handle = GCHandle.Alloc(rgba, GCHandleType.Pinned);
        try
        {
            // FrameIndex 0: the first frame of an animated GIF/WebP, as PIL's Image.open shows it.
            result = codec.GetPixels(info, handle.AddrOfPinnedObject(), w * 4, new SKCodecOptions(0));
        }
        finally
        {
            handle.Free();
        }
        if (result != SKCodecResult.Success)
        {
            ArrayPool<byte>.Shared.Return(rgba);
            throw new MantisException($"image '{sourceName}' ({codec.EncodedFormat}, {w}x{h}) could not be decoded: {Describe(result)}");
        }

        var pixels = DropAlpha(rgba, w * h);
        if (codec.EncodedFormat == SKEncodedImageFormat.Gif && GifFirstFrame.TransparentColor(encoded) is { } fill)
            FillTransparent(pixels, rgba, w * h, fill);
        var image = new RgbImage(w, h, pixels);
        ArrayPool<byte>.Shared.Return(rgba);
        return options.ApplyExifOrientation ? ExifOrientation.Apply(image, codec.EncodedOrigin) : image;
    }

    // PIL's RGBA/LA/P -> RGB conversion discards alpha; it does not blend with a background.
    private static unsafe byte[] DropAlpha(byte[] rgba, int pixels)
    {
        var rgb = new byte[pixels * 3];
        fixed (byte* s = rgba, d = rgb)
        {
            for (int i = 0; i < pixels; i++)
            {
                d[i * 3] = s[i * 4];
                d[i * 3 + 1] = s[i * 4 + 1];
                d[i * 3 + 2] = s[i * 4 + 2];
            }
        }
        return rgb;
    }

    // GIF only: where Skia left alpha 0, PIL shows one palette colour (see GifFirstFrame).
    private static void FillTransparent(byte[] rgb, byte[] rgba, int pixels, (byte R, byte G, byte B) c)
    {
        for (int i = 0; i < pixels; i++)
        {
            if (rgba[i * 4 + 3] != 0) continue;
            rgb[i * 3] = c.R;
            rgb[i * 3 + 1] = c.G;
            rgb[i * 3 + 2] = c.B;
        }
    }

    private static string Describe(SKCodecResult r) => r switch
    {
        SKCodecResult.IncompleteInput => "the file is truncated (incomplete image data)",
        SKCodecResult.ErrorInInput => "the image data is corrupt",
        SKCodecResult.Unimplemented => "this image format or variant is not supported",
        SKCodecResult.InvalidInput => "unrecognized or invalid image data",
        SKCodecResult.InvalidConversion => "the image cannot be converted to RGB",
        SKCodecResult.InvalidScale => "invalid scale",
        SKCodecResult.InvalidParameters => "invalid parameters",
        SKCodecResult.CouldNotRewind => "the data could not be rewound",
        SKCodecResult.InternalError => "internal decoder error",
        _ => r.ToString(),
    };
}
