using MantisNative.Data.Chat;
using MantisNative.Data.Images;
using MantisNative.Data.Loading;
using MantisNative.Data.Records;
using MantisNative.Data.Tokenization;
using MantisNative.Data.Video;
using NUnit.Framework;
using ChatTags = MantisNative.Data.Chat.ImageTags;
using RecordTags = MantisNative.Data.Records.ImageTags;

namespace MantisNative.Tests.Data.Records;

/// <summary>
/// Training records whose `images` entry is a video (an animated GIF, a frame folder): they validate, and the loader
/// turns each into <see cref="VideoFrames.DefaultFrames"/> images and its one &lt;image&gt; tag into one per frame.
/// </summary>
public class VideoRecordTests
{
    private static readonly (byte, byte, byte)[] Palette = { (0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255) };

    private static string Turns(string user) =>
        $$"""[{"role":"user","content":"{{user}}"},{"role":"assistant","content":"it moves"}]""";

    /// <summary>A 5-frame GIF, a 12-frame folder, a still image; the records that use them.</summary>
    private static string Prepare(RecordTestFolder f, params string[] extraLines)
    {
        var frames = Enumerable.Range(0, 5).Select(i => new GifWriter.Frame(0, 0, 6, 4, Enumerable.Repeat((byte)(i % 4), 24).ToArray())).ToList();
        File.WriteAllBytes(f.Path("clip.gif"), GifWriter.Encode(6, 4, Palette, frames));
        Directory.CreateDirectory(f.Path("frames/v1"));
        for (int i = 1; i <= 12; i++) File.WriteAllBytes(f.Path($"frames/v1/{i:D5}.png"), RecordTestFolder.Png(10, 8, SkiaSharp.SKColors.Teal));
        var lines = new List<string>
        {
            $$"""{"id":"gif","images":["clip.gif"],"conversation":{{Turns("<image> what happens?")}}}""",
            $$"""{"id":"folder","images":["a.png","frames/v1"],"conversation":{{Turns("<image> then <image> what changed?")}}}""",
        };
        lines.AddRange(extraLines);
        return f.Write("videos.jsonl", string.Join("\n", lines) + "\n");
    }

    [Test]
    public void GifAndFrameFolderRecordsValidateAndCollateToOneImagePerFrame()
    {
        using var f = new RecordTestFolder();
        var recs = RecordReader.ReadAll(Prepare(f), out var report);
        Assert.That(report.Skipped, Is.Zero, report.ToTable());
        Assert.That(recs.Select(r => r.Id), Is.EqualTo(new[] { "gif", "folder" }));
        Assert.That(recs[0].Images.Select(i => i.IsVideo), Is.EqualTo(new[] { true }));
        Assert.That(recs[1].Images.Select(i => i.IsVideo), Is.EqualTo(new[] { false, true }));

        var tok = BpeTrainer.Train(recs.SelectMany(r => r.Turns.Select(t => t.Content)), 30);
        var chat = new Llama3ChatFormat(tok);
        var encoder = new ExampleEncoder(chat, ImageProcessor.ForVisionConfig(ImageProcessorKind.Siglip, 16));
        var examples = recs.Select(r => encoder.Encode(r)).Select(e => e.Example ?? throw new AssertionException(e.SkipReason!)).ToList();
        int n = VideoFrames.DefaultFrames;
        Assert.That(examples.Select(e => e.Images.Count), Is.EqualTo(new[] { n, 1 + n }), "a video is its sampled frames");

        int imageId = tok.TokenToId(RecordTags.Tag)!.Value, perImage = chat.Options.ImageTokenLength;
        using var b = new Collator(tok.TokenToId("<|pad|>")!.Value, 16).Collate(examples);
        Assert.That(b.ImageCount, Is.EqualTo(n + 1 + n));
        Assert.That(b.Pixels!.Shape.ToArray(), Is.EqualTo(new[] { n + 1 + n, 3, 16, 16 }));
        for (int i = 0; i < 2; i++)
            Assert.That(b.InputIds.Skip(i * b.Length).Take(b.Length).Count(t => t == imageId), Is.EqualTo(examples[i].Images.Count * perImage),
                $"record {examples[i].Id}: one image token run per frame");

        // the folder's frames follow the still image, in sampled order: the still image is first
        var still = ImageProcessor.ForVisionConfig(ImageProcessorKind.Siglip, 16).Process(ImageDecoder.DecodeFile(f.Path("a.png"))).Data;
        Assert.That(examples[1].Images[0], Is.EqualTo(still));
        // and the text numbers the images over all frames: (image 1: ...) ... (image 9: ...)
        var text = chat.Render("folder", ChatTags.Expand(recs[1].Turns.Select(t => new ChatMessage(t.RoleName, t.Content)).ToList(), new[] { 1, n }, RecordTags.Tag), 1 + n);
        Assert.That(text, Does.Contain("(image 1: ").And.Contain($"(image {1 + n}: ").And.Not.Contain($"(image {2 + n}: "));
    }

    [Test]
    public void BadVideoEntriesAreSkippedNamingRecordAndPath()
    {
        using var f = new RecordTestFolder();
        File.WriteAllBytes(f.Path("broken.gif"), "GIF89a but nothing else that decodes"u8.ToArray());
        Directory.CreateDirectory(f.Path("frames/empty"));
        Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(f.Root)!, Path.GetFileName(f.Root) + "-outside"));
        var file = Prepare(f,
            $$"""{"id":"badgif","images":["broken.gif"],"conversation":{{Turns("<image> q")}}}""",
            $$"""{"id":"nofr","images":["frames/empty"],"conversation":{{Turns("<image> q")}}}""",
            $$"""{"id":"gone","images":["missing.gif"],"conversation":{{Turns("<image> q")}}}""",
            $$"""{"id":"out","images":["../{{Path.GetFileName(f.Root)}}-outside"],"conversation":{{Turns("<image> q")}}}""",
            $$"""{"id":"twotags","images":["clip.gif"],"conversation":{{Turns("<image><image> q")}}}""");
        try
        {
            var recs = RecordReader.ReadAll(file, out var report);
            Assert.That(recs.Select(r => r.Id), Is.EqualTo(new[] { "gif", "folder" }), report.ToTable());
            Assert.That(report.Skipped, Is.EqualTo(5));
            void Expect(RecordProblemKind kind, string id, string path)
            {
                var ex = report.Examples(kind).SingleOrDefault(e => e.Contains($"'{id}'"));
                Assert.That(ex, Is.Not.Null, $"{id} under {kind}: {report.ToTable()}");
                Assert.That(ex, Does.Contain(path).And.Contain("videos.jsonl:"), "names the record's place and the path");
            }
            Expect(RecordProblemKind.CorruptImage, "badgif", "broken.gif");
            Expect(RecordProblemKind.UnreadableImage, "nofr", "frames/empty");
            Expect(RecordProblemKind.MissingImage, "gone", "missing.gif");
            Expect(RecordProblemKind.ImagePathOutsideRoot, "out", "-outside");
            Expect(RecordProblemKind.ImageTagMismatch, "twotags", "videos.jsonl");

            // a video that breaks after validation is skipped by the loader with the record and the path
            File.WriteAllBytes(f.Path("clip.gif"), "not a gif any more"u8.ToArray());
            var tok = BpeTrainer.Train(recs.SelectMany(r => r.Turns.Select(t => t.Content)), 30);
            var (example, reason) = new ExampleEncoder(new Llama3ChatFormat(tok), ImageProcessor.ForVisionConfig(ImageProcessorKind.Siglip, 16)).Encode(recs[0]);
            Assert.That(example, Is.Null);
            Assert.That(reason, Does.Contain("record gif").And.Contain("clip.gif"));
        }
        finally { Directory.Delete(f.Root + "-outside"); }
    }

    [Test]
    public void VideoFileRecordIsItsFramesWithFfmpegAndAClearSkipWithout()
    {
        using var f = new RecordTestFolder();
        var video = f.Path("clip.avi");
        if (FfmpegVideo.Available) MakeAvi(f, video);
        else File.WriteAllBytes(video, new byte[] { 0, 0, 0, 24 });
        var file = f.Write("v.jsonl", $$"""{"id":"avi","images":["clip.avi"],"conversation":{{Turns("<image> q")}}}""" + "\n");
        var recs = RecordReader.ReadAll(file, out var report);
        if (!FfmpegVideo.Available)
        {
            Assert.That(recs, Is.Empty);
            Assert.That(report.Examples(RecordProblemKind.UnreadableImage).Single(), Does.Contain("'avi'").And.Contain("clip.avi").And.Contain("ffmpeg"));
            return;
        }
        Assert.That(recs.Select(r => r.Id), Is.EqualTo(new[] { "avi" }), report.ToTable());
        var tok = BpeTrainer.Train(recs.SelectMany(r => r.Turns.Select(t => t.Content)), 30);
        var (example, reason) = new ExampleEncoder(new Llama3ChatFormat(tok), ImageProcessor.ForVisionConfig(ImageProcessorKind.Siglip, 16)).Encode(recs[0]);
        Assert.That(example, Is.Not.Null, reason);
        Assert.That(example!.Images.Count, Is.EqualTo(VideoFrames.DefaultFrames));
        Assert.That(example.InputIds.Count(t => t == tok.TokenToId(RecordTags.Tag)), Is.EqualTo(VideoFrames.DefaultFrames));
    }

    /// <summary>A 12-frame lossless AVI (PNG-in-AVI) made by ffmpeg from PNG frames.</summary>
    private static void MakeAvi(RecordTestFolder f, string video)
    {
        for (int i = 0; i < 12; i++) File.WriteAllBytes(f.Path($"src{i:D3}.png"), RecordTestFolder.Png(16, 16, new SkiaSharp.SKColor((byte)(i * 20), 0, 0)));
        var psi = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-v", "error", "-framerate", "10", "-i", f.Path("src%03d.png"), "-c:v", "png", video }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.EqualTo(0), p.StandardError.ReadToEnd());
    }
}
