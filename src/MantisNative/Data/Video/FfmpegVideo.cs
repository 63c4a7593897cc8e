using System.Diagnostics;
using System.Globalization;
using MantisNative.Data.Images;

namespace MantisNative.Data.Video;

/// <summary>
/// Video files (mp4, webm, avi, mkv, ...) through Debian's ffmpeg/ffprobe run as processes: ffprobe gives the frame
/// count, average frame rate and size; ffmpeg decodes the chosen frames to raw RGB24 on its standard output.
/// Without the programs on PATH, one clear message says how to get them.
/// </summary>
public static class FfmpegVideo
{
    public sealed record Info(int Width, int Height, int FrameCount, double Fps);

    /// <summary>True when ffmpeg and ffprobe can be started.</summary>
    public static bool Available => Lazy.Value;

    private static readonly Lazy<bool> Lazy = new(() => Runs("ffmpeg") && Runs("ffprobe"));

    public static Info Probe(string path)
    {
        Require(path);
        // count_packets is fast (no decode) and equals the frame count for the usual codecs
        var (code, stdout, stderr) = RunText("ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
            "-show_entries", "stream=width,height,avg_frame_rate,nb_read_packets", "-of", "default=noprint_wrappers=1", path);
        if (code != 0) throw new MantisException($"video '{path}': ffprobe cannot read it: {FirstLine(stderr)}");
        var kv = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        int Int(string k) => kv.TryGetValue(k, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
            : throw new MantisException($"video '{path}': ffprobe gave no {k} (no video stream?)");
        double fps = kv.TryGetValue("avg_frame_rate", out var r) ? Rate(r) : 0;
        if (!(fps > 0)) throw new MantisException($"video '{path}': ffprobe gave no frame rate");
        return new Info(Int("width"), Int("height"), Int("nb_read_packets"), fps);
    }

    /// <summary>The frames with the given 0-based indices, in the order asked.</summary>
    public static List<RgbImage> Decode(string path, Info info, IReadOnlyList<int> indices)
    {
        Require(path);
        foreach (var i in indices)
            if (i < 0 || i >= info.FrameCount) throw new MantisException($"video '{path}': frame {i} asked for, it has {info.FrameCount} frames");
        var unique = indices.Distinct().OrderBy(i => i).ToArray();
        var select = string.Join("+", unique.Select(i => $"eq(n\\,{i})"));
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-v", "error", "-i", path, "-vf", $"select={select}", "-vsync", "0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new MantisException($"video '{path}': ffmpeg could not be started");
        var errTask = p.StandardError.ReadToEndAsync();
        int frameBytes = checked(info.Width * info.Height * 3);
        var decoded = new Dictionary<int, RgbImage>();
        var stream = p.StandardOutput.BaseStream;
        foreach (var index in unique)
        {
            var buf = new byte[frameBytes];
            int got = 0;
            while (got < frameBytes)
            {
                int n = stream.Read(buf, got, frameBytes - got);
                if (n == 0) break;
                got += n;
            }
            if (got < frameBytes) break;
            decoded[index] = new RgbImage(info.Width, info.Height, buf);
        }
        stream.CopyTo(Stream.Null);
        p.WaitForExit();
        if (p.ExitCode != 0 || decoded.Count < unique.Length)
            throw new MantisException($"video '{path}': ffmpeg decoded {decoded.Count} of {unique.Length} frames: {FirstLine(errTask.Result)}");
        return indices.Select(i => decoded[i]).ToList();
    }

    private static void Require(string path)
    {
        if (!File.Exists(path)) throw new MantisException($"video file '{path}' not found");
        if (!Available)
            throw new MantisException($"video '{path}': decoding a video file needs ffmpeg and ffprobe on PATH (Debian: apt-get install ffmpeg); a folder of frames or an animated GIF needs neither");
    }

    private static double Rate(string r)
    {
        var parts = r.Split('/');
        double num = double.Parse(parts[0], CultureInfo.InvariantCulture);
        double den = parts.Length > 1 ? double.Parse(parts[1], CultureInfo.InvariantCulture) : 1;
        return den == 0 ? 0 : num / den;
    }

    private static bool Runs(string program)
    {
        try
        {
            var (code, _, _) = RunText(program, "-version");
            return code == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    private static (int Code, string Out, string Err) RunText(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }

    private static string FirstLine(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "no message";
}
