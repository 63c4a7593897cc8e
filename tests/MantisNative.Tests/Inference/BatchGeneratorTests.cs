using MantisNative.Autograd;
using AOps = MantisNative.Autograd.Ops;
using MantisNative.Data.Chat;
using MantisNative.Inference;
using MantisNative.Models;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.Inference;

public class BatchGeneratorTests
{
    /// <summary>Prompts of different lengths and image counts (0, 1, 2 images), so rows get different left padding.</summary>
    private static List<(int[] Ids, List<MantisNative.Data.Images.ProcessedImage> Images)> Prompts(ModelBundle bundle, string[] images)
    {
        var cases = new (string Text, int Images)[]
        {
            ("<image><image> Which image shows the red shape?", 2),
            ("<image> What colour is it?", 1),
            ("How many shapes are there in the first picture and in the second one, counted together?", 0),
            ("<image><image> Same?", 2),
        };
        return cases.Select((c, i) =>
        {
            var imgs = images.Take(c.Images).Select(bundle.ProcessImageFile).ToList();
            return (bundle.EncodePrompt($"p{i}", new[] { ChatMessage.User(c.Text) }, imgs.Count), imgs);
        }).ToList();
    }

    [Test]
    public void BatchedGreedyOutputsEqualOnePromptAtATime()
    {
        var tiny = TinyModelFolder.Shared;
        using var bundle = ModelBundle.Load(tiny.ModelDir);
        var prompts = Prompts(bundle, tiny.TwoImages);
        var options = new GenerationOptions { MaxNewTokens = 12, StopIds = bundle.StopIds.ToArray() };

        var single = prompts.Select(p =>
        {
            using var px = PixelBatch.Stack(p.Images);
            return Generator.Generate(bundle.Model, p.Ids, px, options).ToList();
        }).ToList();
        var batchPrompts = prompts.Select(p => new BatchPrompt(p.Ids, PixelBatch.Stack(p.Images))).ToList();
        try
        {
            var batched = BatchGenerator.Generate(bundle.Model, batchPrompts, options);
            Assert.That(batched, Has.Count.EqualTo(prompts.Count));
            for (int i = 0; i < prompts.Count; i++)
                Assert.That(batched[i], Is.EqualTo(single[i]), $"prompt {i}");
            Assert.That(single.Select(s => s.Count).Distinct().Count() > 1 || single.All(s => s.Count == 12), Is.True);
            // a batch of one is the same too
            Assert.That(BatchGenerator.Generate(bundle.Model, batchPrompts.Take(1).ToList(), options)[0], Is.EqualTo(single[0]));
        }
        finally { foreach (var p in batchPrompts) p.Pixels?.Dispose(); }
    }

    [Test]
    public void PreallocatedCacheGivesTheLogitsOfTheGrowingOne()
    {
        var tiny = TinyModelFolder.Shared;
        using var bundle = ModelBundle.Load(tiny.ModelDir);
        var lm = bundle.Model.Language;
        var prompt = new[] { 3, 5, 7, 11, 13 };
        var next = new[] { 17, 19, 23 };
        float[] Run(KvCache cache, bool preallocated)
        {
            using var _ = Tape.NoGrad();
            var all = new List<float>();
            var e = AOps.Reshape(AOps.Embedding(lm.EmbedTokens, prompt), 1, prompt.Length, -1);
            bool[]? mask = preallocated ? Enumerable.Repeat(true, prompt.Length).ToArray() : null;
            all.AddRange(lm.Logits(lm.Forward(e, Enumerable.Range(0, prompt.Length).ToArray(), mask, cache)).ToArray());
            for (int s = 0; s < next.Length; s++)
            {
                int pos = prompt.Length + s;
                var x = AOps.Reshape(AOps.Embedding(lm.EmbedTokens, new[] { next[s] }), 1, 1, -1);
                bool[]? m = preallocated ? Enumerable.Range(0, cache.Capacity).Select(j => j <= pos).ToArray() : null;
                all.AddRange(lm.Logits(lm.Forward(x, new[] { pos }, m, cache)).ToArray());
            }
            return all.ToArray();
        }
        using var growing = new KvCache(lm.LayerCount);
        using var pre = KvCache.Preallocated(lm.LayerCount, prompt.Length + next.Length + 4);
        var a = Run(growing, false);
        var b = Run(pre, true);
        Assert.That(pre.Length, Is.EqualTo(prompt.Length + next.Length));
        Assert.That(pre.Keys[0]!.Dim(1), Is.EqualTo(pre.Capacity), "one buffer of the full capacity, never regrown");
        // fp32 on the CPU: the same sums in another key blocking, so agreement to rounding (1e-5 relative)
        for (int i = 0; i < a.Length; i++) Assert.That(b[i], Is.EqualTo(a[i]).Within(1e-5f * (1 + Math.Abs(a[i]))), $"logit {i}");
        Assert.Throws<InvalidOperationException>(() =>
        {
            using var _ = Tape.NoGrad();
            var x = AOps.Reshape(AOps.Embedding(lm.EmbedTokens, new[] { 1, 2 }), 1, 2, -1);
            lm.Forward(x, new[] { 8, 9 }, null, pre);
        }, "two tokens after the prompt");
    }

    [Test]
    public void WriteSliceWritesInPlaceAndChecksBounds()
    {
        using var dst = Tensor.Zeros(2, 3, 4);
        using var src = Tensor.FromArray(Enumerable.Range(1, 2 * 3 * 2).Select(i => (float)i).ToArray(), 2, 3, 2);
        AOps.WriteSlice(dst, 2, 1, src);
        var d = dst.ToArray();
        Assert.That(d[0..4], Is.EqualTo(new float[] { 0, 1, 2, 0 }));
        Assert.That(d[20..24], Is.EqualTo(new float[] { 0, 11, 12, 0 }));
        Assert.Throws<ArgumentException>(() => AOps.WriteSlice(dst, 2, 3, src));
    }
}
