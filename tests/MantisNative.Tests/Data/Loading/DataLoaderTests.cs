using System.Diagnostics;
using MantisNative.Data.Chat;
using MantisNative.Data.Images;
using MantisNative.Data.Loading;
using MantisNative.Data.Records;
using MantisNative.Data.Synthetic;
using MantisNative.Data.Tokenization;
using NUnit.Framework;

namespace MantisNative.Tests.Data.Loading;

[NonParallelizable]
public class DataLoaderTests
{
    private string _dir = "";
    private List<InstructRecord> _records = new();
    private ExampleEncoder _encoder = null!;
    private ByteLevelBpeTokenizer _tok = null!;

    [OneTimeSetUp]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"mantis-loader-{Guid.NewGuid():N}");
        SyntheticDatasetWriter.Write(_dir, new SyntheticOptions { Train = 45, HeldOut = 15, Seed = 3 });
        _records = RecordReader.ReadAll(Path.Combine(_dir, "train.jsonl"), out _);
        _tok = BpeTrainer.Train(_records.SelectMany(r => r.Turns.Select(t => t.Content)), 50);
        _encoder = new ExampleEncoder(new Llama3ChatFormat(_tok), ImageProcessor.ForVisionConfig(ImageProcessorKind.Siglip, 32));
    }

    [OneTimeTearDown]
    public void Clean() => Directory.Delete(_dir, true);

    private DataLoader Loader(int batch, ulong seed, DataPosition start = default) =>
        new(_records, _encoder, new Collator(_tok.TokenToId("<|pad|>")!.Value, 32), batch, seed, start);

    [Test]
    public void CollatorPadsRightAndStacksEveryImage()
    {
        var examples = _records.Take(3).Select(r => _encoder.Encode(r).Example!).ToList();
        using var b = new Collator(999, 32).Collate(examples);
        int len = examples.Max(e => e.InputIds.Length);
        Assert.That(b.Length, Is.EqualTo(len));
        Assert.That(b.ImageCount, Is.EqualTo(examples.Sum(e => e.Images.Count)));
        Assert.That(b.Pixels!.Shape.ToArray(), Is.EqualTo(new[] { b.ImageCount, 3, 32, 32 }));
        for (int i = 0; i < 3; i++)
            for (int t = 0; t < len; t++)
            {
                bool real = t < examples[i].InputIds.Length;
                Assert.That(b.AttentionMask[i * len + t], Is.EqualTo(real));
                if (!real) { Assert.That(b.InputIds[i * len + t], Is.EqualTo(999)); Assert.That(b.Labels[i * len + t], Is.EqualTo(-100)); }
            }
        Assert.That(b.Pixels.Span.Slice(0, 3 * 32 * 32).ToArray(), Is.EqualTo(examples[0].Images[0]), "first image first");
    }

    [Test]
    public void SameSeedGivesTheSameBatchesAndEpochsArePermutations()
    {
        using var a = Loader(4, 9);
        using var b = Loader(4, 9);
        using var c = Loader(4, 10);
        var idsA = Enumerable.Range(0, 20).SelectMany(_ => { using var x = a.Next(); return x.Examples.Select(e => e.Id).ToList(); }).ToList();
        var idsB = Enumerable.Range(0, 20).SelectMany(_ => { using var x = b.Next(); return x.Examples.Select(e => e.Id).ToList(); }).ToList();
        var idsC = Enumerable.Range(0, 20).SelectMany(_ => { using var x = c.Next(); return x.Examples.Select(e => e.Id).ToList(); }).ToList();
        Assert.That(idsB, Is.EqualTo(idsA));
        Assert.That(idsC, Is.Not.EqualTo(idsA), "another seed, another order");
        Assert.That(idsA.Take(_records.Count), Is.EquivalentTo(_records.Select(r => r.Id)), "the first epoch visits every record once");
    }

    [Test]
    public void ResumingFromAPositionContinuesTheStream()
    {
        using var a = Loader(4, 5);
        for (int i = 0; i < 13; i++) a.Next().Dispose(); // crosses an epoch boundary (45 records / 4)
        var pos = a.Position;
        var next = Enumerable.Range(0, 5).SelectMany(_ => { using var x = a.Next(); return x.Examples.Select(e => e.Id).ToList(); }).ToList();
        using var b = Loader(4, 5, pos);
        var resumed = Enumerable.Range(0, 5).SelectMany(_ => { using var x = b.Next(); return x.Examples.Select(e => e.Id).ToList(); }).ToList();
        Assert.That(pos.Epoch, Is.EqualTo(1));
        Assert.That(resumed, Is.EqualTo(next));
    }

    [Test]
    public void BadRecordsAreSkippedAndCounted()
    {
        var broken = _records.Take(8).ToList();
        var missing = Path.Combine(_dir, "gone.png");
        broken[2] = new InstructRecord
        {
            Id = "broken", Images = new[] { ImageSource.FromFile(missing) }, Turns = broken[2].Turns, SourceFile = "x", Line = 1,
            Metadata = new Dictionary<string, string>(), Location = "x:1",
        };
        using var loader = new DataLoader(broken, _encoder, new Collator(0, 32), 4, 1);
        var seen = Enumerable.Range(0, 4).SelectMany(_ => { using var x = loader.Next(); return x.Examples.Select(e => e.Id).ToList(); }).ToList();
        Assert.That(seen, Does.Not.Contain("broken"));
        Assert.That(loader.SkippedReasons.Values.Sum(), Is.GreaterThanOrEqualTo(1));
        Assert.That(loader.SkippedReasons.Keys.First(), Does.Contain("gone.png"));
    }

    [Test]
    public void DecodingKeepsAheadOfAConsumer()
    {
        using var loader = Loader(8, 2);
        loader.Next().Dispose();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < 10; i++) loader.Next().Dispose();
        double perSecond = loader.ImagesDecoded / Math.Max(1e-3, sw.Elapsed.TotalSeconds);
        TestContext.Out.WriteLine($"decode + preprocess + encode: {perSecond:F0} images/s (32x32 PNG, this machine)");
        Assert.That(loader.ImagesDecoded, Is.GreaterThan(0));
    }
}
