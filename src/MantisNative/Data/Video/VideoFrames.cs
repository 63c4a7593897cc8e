using MantisNative.Data.Images;

namespace MantisNative.Data.Video;

/// <summary>
/// A video as a list of frames for the model, whatever form it comes in: a folder of frame images (sorted by name), an
/// animated GIF, or a video file (through <see cref="FfmpegVideo"/>). Frames are chosen with <see cref="FrameSampler"/>.
/// </summary>
public static class VideoFrames
{
    /// <summary>MVBench's and the paper's number of frames per video.</summary>
    public const int DefaultFrames = 8;

    /// <summary>The rate a frame folder is taken to be cut at when none is given (MVBench's TVQA frames: 3 fps).</summary>
    public const double DefaultFolderFps = 3;

    /// <summary>GIFs have per-frame delays, not a rate; MVBench reads them at 25 fps.</summary>
    public const double GifFps = 25;

    public static readonly IReadOnlyList<string> VideoExtensions = new[] { ".mp4", ".webm", ".avi", ".mkv", ".mov", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv" };

    private static readonly string[] FrameExtensions = { ".jpg", ".jpeg", ".png", ".webp", ".bmp" };

    /// <summary>True for what <see cref="Load"/> reads as a video: a folder, a .gif, or a video file extension.</summary>
    public static bool IsVideo(string path) =>
        Directory.Exists(path) || path.EndsWith(".gif", StringComparison.OrdinalIgnoreCase)
        || VideoExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>
    /// <paramref name="frames"/> frames of the video at <paramref name="path"/>; with a bound (seconds), of that clip only.
    /// A frame folder is indexed 1..count as MVBench's are (files sorted by name).
    /// </summary>
    public static List<RgbImage> Load(string path, int frames = DefaultFrames, (double Start, double End)? bound = null, double? folderFps = null)
    {
        if (Directory.Exists(path))
        {
            var files = FrameFiles(path);
            var idx = FrameSampler.Indices(frames, folderFps ?? DefaultFolderFps, files.Count, bound, firstIndex: 1);
            // 1-based as MVBench's 00001.jpg..: index i is the i-th file; an index past the end (count 0) is caught here
            return idx.Select(i => i >= 1 && i <= files.Count ? ImageDecoder.DecodeFile(files[i - 1])
                : throw new MantisException($"frame folder '{path}': frame {i} asked for, it has {files.Count} frames")).ToList();
        }
        if (!File.Exists(path)) throw new MantisException($"video '{path}' not found");
        if (path.EndsWith(".gif", StringComparison.OrdinalIgnoreCase))
        {
            var bytes = File.ReadAllBytes(path);
            int count = GifFrames.Count(bytes, path);
            return GifFrames.Decode(bytes, path, FrameSampler.Indices(frames, GifFps, count - 1, bound));
        }
        var info = FfmpegVideo.Probe(path);
        if (info.FrameCount < 1) throw new MantisException($"video '{path}' has no frames");
        return FfmpegVideo.Decode(path, info, FrameSampler.Indices(frames, info.Fps, info.FrameCount - 1, bound));
    }

    /// <summary>The image files of a frame folder, sorted by name (ordinal); a folder without any is an error naming it.</summary>
    public static List<string> FrameFiles(string folder)
    {
        var files = Directory.EnumerateFiles(folder)
            .Where(f => FrameExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new MantisException($"frame folder '{folder}' holds no frame images (.jpg, .png, .webp, .bmp)");
        return files;
    }
}
