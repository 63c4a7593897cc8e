using MantisNative.Data.Video;
using MantisNative.Inference;
using NUnit.Framework;
using SkiaSharp;

namespace MantisNative.Tests.Inference;

public class VideoChatTests
{
    [Test]
    public void AVideoIsAskedAboutAsItsEightSampledFrames()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"mantis-videochat-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            // 16 frames of 32x32, each a different grey: the sampled frames are told apart by their value
            var palette = Enumerable.Range(0, 16).Select(i => ((byte)(i * 16), (byte)(i * 16), (byte)(i * 16))).ToArray();
            var gif = Path.Combine(dir, "clip.gif");
            File.WriteAllBytes(gif, GifWriter.Encode(32, 32, palette,
                Enumerable.Range(0, 16).Select(i => new GifWriter.Frame(0, 0, 32, 32, Enumerable.Repeat((byte)i, 32 * 32).ToArray())).ToList()));
            // the same 8 frames as PNG files: max_frame 15, seg 15/8 -> int(0.9375 + round(1.875 i)), round half to even = 0, 2, 4, 6, 8, 9, 11, 13
            var expectedIdx = FrameSampler.Indices(8, VideoFrames.GifFps, 15);
            Assert.That(expectedIdx, Is.EqualTo(new[] { 0, 2, 4, 6, 8, 9, 11, 13 }));
            var pngs = expectedIdx.Select(i =>
            {
                using var bmp = new SKBitmap(32, 32);
                bmp.Erase(new SKColor((byte)(i * 16), (byte)(i * 16), (byte)(i * 16)));
                var p = Path.Combine(dir, $"f{i}.png");
                File.WriteAllBytes(p, bmp.Encode(SKEncodedImageFormat.Png, 100).ToArray());
                return p;
            }).ToList();

            using var mantis = MantisPipeline.Load(TinyModelFolder.Shared.ModelDir);
            var options = new GenerationOptions { MaxNewTokens = 8 };
            var chat = mantis.StartChat(new[] { gif });
            var answer = chat.Ask("What happens?", options);
            Assert.That(MantisNative.Evaluation.Benchmarks.MantisHarnessPrompt.CountTags(chat.History[0].Content), Is.EqualTo(8));
            Assert.That(answer, Is.EqualTo(mantis.Ask("What happens?", pngs, options)));
        }
        finally { Directory.Delete(dir, true); }
    }
}
