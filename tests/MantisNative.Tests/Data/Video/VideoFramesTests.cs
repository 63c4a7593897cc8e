using MantisNative.Data.Video;
using NUnit.Framework;
using SkiaSharp;

namespace MantisNative.Tests.Data.Video;

public class FrameSamplerTests
{
    // Indices computed by hand with the reference formula: start_idx = max(first, round(start*fps)),
    // end_idx = min(round(end*fps), max_frame), seg = (end_idx - start_idx)/8, i -> int(start_idx + seg/2 + round(seg*i)),
    // round() being Python's round-half-to-even.
    [Test]
    public void UnboundedVideoTakesSegmentMidpoints()
    {
        // 100 frames: end_idx 99, seg 12.375; round(49.5) = 50
        Assert.That(FrameSampler.Indices(8, 30, 99), Is.EqualTo(new[] { 6, 18, 31, 43, 56, 68, 80, 93 }));
    }

    [Test]
    public void BoundedClipUsesStartAndEndAtTheFps()
    {
        // [1 s, 3 s] at 5 fps: frames 5..15, seg 1.25; round(2.5) = 2 and round(7.5) = 8 (half to even)
        Assert.That(FrameSampler.Indices(8, 5, 100, (1.0, 3.0)), Is.EqualTo(new[] { 5, 6, 7, 9, 10, 11, 13, 14 }));
        // start 0.5 s * 5 = 2.5 rounds to 2; seg 13/8 = 1.625; round(6.5) = 6
        Assert.That(FrameSampler.Indices(8, 5, 100, (0.5, 3.0)), Is.EqualTo(new[] { 2, 4, 5, 7, 8, 10, 12, 13 }));
    }

    [Test]
    public void EndBeyondTheVideoIsClippedToTheLastFrame()
    {
        // end 100 s * 10 fps clipped to max_frame 39: seg 4.875; round(19.5) = 20
        Assert.That(FrameSampler.Indices(8, 10, 39, (0.0, 100.0)), Is.EqualTo(new[] { 2, 7, 12, 17, 22, 26, 31, 36 }));
    }

    [Test]
    public void FrameFoldersCountFromOne()
    {
        // 24 frames numbered 1..24 (max_frame = count, first index 1): seg 23/8 = 2.875; round(11.5) = 12
        Assert.That(FrameSampler.Indices(8, 3, 24, null, firstIndex: 1), Is.EqualTo(new[] { 2, 5, 8, 11, 14, 16, 19, 22 }));
    }

    [Test]
    public void BadArgumentsAreClearErrors()
    {
        Assert.That(Assert.Throws<MantisException>(() => FrameSampler.Indices(0, 3, 10))!.Message, Does.Contain("at least one frame"));
        Assert.That(Assert.Throws<MantisException>(() => FrameSampler.Indices(8, 0, 10))!.Message, Does.Contain("frames per second"));
    }
}

public class VideoFramesTests
{
    private static readonly (byte, byte, byte)[] Palette = { (0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255) };

    private static GifWriter.Frame Solid(int x, int y, int w, int h, byte index) => new(x, y, w, h, Enumerable.Repeat(index, w * h).ToArray());

    private static string Temp(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"mantis-video-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name);
    }

    [Test]
    public void AnimatedGifGivesEveryFrameComposited()
    {
        // frame 0 red everywhere; frame 1 green on the left half only (kept: the right stays red); frame 2 blue all over
        var gif = GifWriter.Encode(4, 2, Palette, new[] { Solid(0, 0, 4, 2, 1), Solid(0, 0, 2, 2, 2), Solid(0, 0, 4, 2, 3) });
        var frames = GifFrames.Decode(gif, "t.gif");
        Assert.That(frames, Has.Count.EqualTo(3));
        Assert.That(frames[0][3, 1], Is.EqualTo(((byte)255, (byte)0, (byte)0)));
        Assert.That(frames[1][0, 0], Is.EqualTo(((byte)0, (byte)255, (byte)0)));
        Assert.That(frames[1][3, 0], Is.EqualTo(((byte)255, (byte)0, (byte)0)), "the part frame 1 does not cover shows frame 0");
        Assert.That(frames[2][1, 1], Is.EqualTo(((byte)0, (byte)0, (byte)255)));
        var picked = GifFrames.Decode(gif, "t.gif", new[] { 2, 1 });
        Assert.That(picked[0][0, 0], Is.EqualTo(((byte)0, (byte)0, (byte)255)));
        Assert.That(picked[1][3, 0], Is.EqualTo(((byte)255, (byte)0, (byte)0)));
        Assert.That(Assert.Throws<MantisException>(() => GifFrames.Decode(gif, "t.gif", new[] { 3 }))!.Message, Does.Contain("t.gif").And.Contain("3 frames"));
    }

    [Test]
    public void GifFileIsSampledAt25Fps()
    {
        var frames = Enumerable.Range(0, 10).Select(i => Solid(0, 0, 4, 2, (byte)(1 + i % 3))).ToList();
        var path = Temp("ten.gif");
        File.WriteAllBytes(path, GifWriter.Encode(4, 2, Palette, frames));
        // max_frame 9, 4 segments: seg 2.25 -> 1, 3, 5, 8 (round(6.75) = 7, +1.125); colours cycle red, green, blue
        var got = VideoFrames.Load(path, 4);
        var expected = new[] { 1, 3, 5, 8 }.Select(i => Palette[1 + i % 3]).ToArray();
        Assert.That(got.Select(f => f[0, 0]), Is.EqualTo(expected));
    }

    [Test]
    public void FrameFolderIsReadInNameOrder()
    {
        var dir = Path.GetDirectoryName(Temp("x"))!;
        for (int i = 1; i <= 12; i++)
        {
            using var bmp = new SKBitmap(2, 2);
            bmp.Erase(new SKColor((byte)(i * 20), 0, 0));
            File.WriteAllBytes(Path.Combine(dir, $"{i:D5}.png"), bmp.Encode(SKEncodedImageFormat.Png, 100).ToArray());
        }
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "not a frame");
        // 12 frames numbered 1..12, 3 segments at 3 fps: seg 11/3, i -> int(1 + 11/6 + round(11i/3)) = 2, 6, 9
        var frames = VideoFrames.Load(dir, 3);
        Assert.That(frames.Select(f => (int)f[0, 0].R), Is.EqualTo(new[] { 40, 120, 180 }));
        var empty = Path.GetDirectoryName(Temp("y"))!;
        Assert.That(Assert.Throws<MantisException>(() => VideoFrames.Load(empty))!.Message, Does.Contain(empty).And.Contain("no frame images"));
    }

    [Test]
    public void VideoFileWithoutFfmpegIsOneClearMessage()
    {
        var path = Temp("clip.mp4");
        File.WriteAllBytes(path, new byte[] { 0, 0, 0, 24 });
        var e = Assert.Throws<MantisException>(() => VideoFrames.Load(path))!;
        Assert.That(e.Message, Does.Contain(path));
        if (!FfmpegVideo.Available) Assert.That(e.Message, Does.Contain("ffmpeg"));
        Assert.That(Assert.Throws<MantisException>(() => VideoFrames.Load(Temp("gone.mp4")))!.Message, Does.Contain("not found"));
    }

    [Test]
    public void VideoFileThroughFfmpeg()
    {
        if (!FfmpegVideo.Available) Assert.Ignore("ffmpeg/ffprobe not on PATH (apt-get install ffmpeg)");
        var dir = Path.GetDirectoryName(Temp("x"))!;
        // 20 frames at 10 fps whose red channel encodes the frame number (lossless: PNG-in-AVI)
        for (int i = 0; i < 20; i++)
        {
            using var bmp = new SKBitmap(16, 16);
            bmp.Erase(new SKColor((byte)(i * 12), 0, 0));
            File.WriteAllBytes(Path.Combine(dir, $"f{i:D3}.png"), bmp.Encode(SKEncodedImageFormat.Png, 100).ToArray());
        }
        var video = Path.Combine(dir, "clip.avi");
        var psi = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-v", "error", "-framerate", "10", "-i", Path.Combine(dir, "f%03d.png"), "-c:v", "png", video }) psi.ArgumentList.Add(a);
        using (var p = System.Diagnostics.Process.Start(psi)!) { p.WaitForExit(); Assert.That(p.ExitCode, Is.EqualTo(0), p.StandardError.ReadToEnd()); }
        var info = FfmpegVideo.Probe(video);
        Assert.That((info.FrameCount, info.Fps, info.Width), Is.EqualTo((20, 10.0, 16)));
        // [0.5 s, 1.5 s] at 10 fps: frames 5..15 (round(5) = 5, round(15) = 15), 4 segments: seg 2.5, round(2.5) = 2, round(7.5) = 8 -> 6, 8, 11, 14
        var frames = VideoFrames.Load(video, 4, (0.5, 1.5));
        Assert.That(frames.Select(f => f[3, 3].R / 12), Is.EqualTo(new[] { 6, 8, 11, 14 }));
    }
}
