using SkiaSharp;

namespace MantisNative.Data.Records;

/// <summary>
/// Cheap but real image checks with SkiaSharp: the codec must recognise the header and report a size,
/// and in Decode mode the whole file must decode (at the codec's smallest scale, so big JPEGs stay cheap,
/// while a truncated file still fails).
/// </summary>
internal static class ImageChecker
{
    public static void Check(ImageSource src, ImageCheckMode mode, int index)
    {
        if (mode == ImageCheckMode.None) return;
        string what = $"image {index + 1} ({src.OriginalPath ?? src.ToString()})";
        if (src.IsVideo) { VideoChecker.Check(src.FilePath!, mode, what); return; }
        byte[] bytes;
        if (src.FilePath is { } path)
        {
            if (!File.Exists(path))
                throw new RecordRejectedException(
                    Directory.Exists(path) ? RecordProblemKind.UnreadableImage : RecordProblemKind.MissingImage,
                    Directory.Exists(path) ? $"{what} is a folder: {path}" : $"{what} not found: {path}");
            if (Interop.PosixFileType.IsRegularOrDirectory(path) == false)
                throw new RecordRejectedException(RecordProblemKind.UnreadableImage, $"{what} is not a regular file (a pipe, socket or device): {path}");
            if (mode == ImageCheckMode.Exists) return;
            try { bytes = File.ReadAllBytes(path); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new RecordRejectedException(RecordProblemKind.UnreadableImage, $"{what} cannot be read: {e.Message}");
            }
        }
        else
        {
            if (mode == ImageCheckMode.Exists) return;
            bytes = src.Bytes!.Value.ToArray();
        }
        var problem = Inspect(bytes, mode == ImageCheckMode.Decode);
        if (problem is not null)
            throw new RecordRejectedException(RecordProblemKind.CorruptImage, $"{what} {problem}");
    }

    /// <summary>null when the bytes are a good image, else what is wrong with them.</summary>
    public static string? Inspect(byte[] bytes, bool fullDecode)
    {
        if (bytes.Length == 0) return "is empty (0 bytes)";
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null) return "is not a decodable image (unknown format or damaged header)";
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0) return $"has size {info.Width}x{info.Height}";
        if (!fullDecode) return null;
        var size = codec.GetScaledDimensions(0.125f);
        var target = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = new byte[target.BytesSize];
        unsafe
        {
            fixed (byte* p = pixels)
            {
                var r = codec.GetPixels(target, (IntPtr)p);
                if (r != SKCodecResult.Success) return $"does not decode fully ({r})";
            }
        }
        return null;
    }
}
