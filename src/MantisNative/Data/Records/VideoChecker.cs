using MantisNative.Data.Video;

namespace MantisNative.Data.Records;

/// <summary>
/// The record checks for a video entry (frame folder, animated GIF, video file): it must exist and, from Header mode
/// on, be readable as a video by the same <see cref="VideoFrames"/> the loader, chat and eval use; in Decode mode its
/// sampled frames are decoded. A video file needs ffmpeg: without it the record is rejected saying so.
/// </summary>
internal static class VideoChecker
{
    public static void Check(string path, ImageCheckMode mode, string what)
    {
        if (Directory.Exists(path))
        {
            // a folder is a video only when it holds frames; an empty one keeps issue 16's "is a folder" wording
            if (!HasFrames(path))
                throw new RecordRejectedException(RecordProblemKind.UnreadableImage,
                    $"{what} is a folder with no frame images (.jpg, .png, .webp, .bmp): {path}");
        }
        else if (!File.Exists(path))
            throw new RecordRejectedException(RecordProblemKind.MissingImage, $"{what} not found: {path}");
        else if (Interop.PosixFileType.IsRegularOrDirectory(path) == false)
            throw new RecordRejectedException(RecordProblemKind.UnreadableImage, $"{what} is not a regular file (a pipe, socket or device): {path}");
        else if (!path.EndsWith(".gif", StringComparison.OrdinalIgnoreCase) && !FfmpegVideo.Available)
            throw new RecordRejectedException(RecordProblemKind.UnreadableImage,
                $"{what} is a video file, and reading one needs ffmpeg and ffprobe on PATH (Debian: apt-get install ffmpeg), or give the video as a frame folder or an animated GIF: {path}");
        if (mode == ImageCheckMode.Exists) return;
        try
        {
            // Header mode: a frame folder's listing (above) is its header; a GIF's codec or ffprobe must read the file
            if (mode == ImageCheckMode.Decode) VideoFrames.Load(path);
            else if (path.EndsWith(".gif", StringComparison.OrdinalIgnoreCase)) GifFrames.Count(File.ReadAllBytes(path), path);
            else if (!Directory.Exists(path)) FfmpegVideo.Probe(path);
        }
        catch (MantisException e)
        {
            throw new RecordRejectedException(RecordProblemKind.CorruptImage, $"{what} is not a readable video: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RecordRejectedException(RecordProblemKind.UnreadableImage, $"{what} cannot be read: {e.Message}");
        }
    }

    private static bool HasFrames(string folder)
    {
        try { VideoFrames.FrameFiles(folder); return true; }
        catch (MantisException) { return false; }
    }
}
