using MantisNative.Data.Records;
using MantisNative.Data.Video;
using MantisNative.Evaluation;
using MantisNative.Inference;
using MantisNative.Tests.Data.Records;
using MantisNative.Tests.Inference;
using NUnit.Framework;

namespace MantisNative.Tests.Evaluation;

/// <summary>A held-out record with a video entry is answered over the video's frames, as training sees it.</summary>
public class VideoRecordEvalTests
{
    [Test]
    public void AFrameFolderEntryIsAnsweredLikeItsSampledFramesListedOneByOne()
    {
        using var f = new RecordTestFolder();
        Directory.CreateDirectory(f.Path("v"));
        var colours = new[] { SkiaSharp.SKColors.Red, SkiaSharp.SKColors.Lime, SkiaSharp.SKColors.Blue, SkiaSharp.SKColors.Yellow, SkiaSharp.SKColors.White };
        for (int i = 1; i <= 10; i++) File.WriteAllBytes(f.Path($"v/{i:D5}.png"), RecordTestFolder.Png(24, 24, colours[i % colours.Length]));
        // the same frames the loader samples (1-based over the sorted files), given as separate images with a tag each
        var idx = FrameSampler.Indices(VideoFrames.DefaultFrames, VideoFrames.DefaultFolderFps, 10, null, firstIndex: 1);
        var listed = string.Join(",", idx.Select(i => $"\"v/{i:D5}.png\""));
        var tags = string.Concat(Enumerable.Repeat("<image>", idx.Length));
        var file = f.Write("e.jsonl",
            """{"id":"video","images":["v"],"conversation":[{"role":"user","content":"<image> What colour comes first?"},{"role":"assistant","content":"red"}]}""" + "\n" +
            $$"""{"id":"frames","images":[{{listed}}],"conversation":[{"role":"user","content":"{{tags}} What colour comes first?"},{"role":"assistant","content":"red"}]}""" + "\n");
        var records = RecordReader.ReadAll(file, out var report);
        Assert.That(records.Count, Is.EqualTo(2), report.ToTable());

        using var bundle = ModelBundle.Load(TinyModelFolder.Shared.ModelDir);
        var options = new GenerationOptions { MaxNewTokens = 6 };
        var video = Evaluator.Predict(bundle, EvalQuestion.FromRecord(records[0]), options);
        var frames = Evaluator.Predict(bundle, EvalQuestion.FromRecord(records[1]), options);
        Assert.That(video.Prediction, Is.EqualTo(frames.Prediction), "same prompt ids and pixels: same greedy answer");
    }
}
