using MantisNative.Evaluation.Benchmarks;
using NUnit.Framework;
using Parquet.Schema;
using Parquet.Serialization;

namespace MantisNative.Tests.Evaluation.Benchmarks;

/// <summary>Each reader on small data sets written in the benchmark's published layout, and the messages for missing parts.</summary>
public class BenchmarkReaderTests
{
    private string _root = "";

    [SetUp]
    public void SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), $"mantis-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_root);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, true);

    private string Dir(string name) => Path.Combine(_root, name);

    [Test]
    public void Nlvr2ParquetWithTwoEmbeddedImages()
    {
        var items = new Nlvr2Benchmark().Read(BenchmarkSamples.Nlvr2(Dir("nlvr2"), 3));
        Assert.That(items, Has.Count.EqualTo(3));
        var it = items[0];
        Assert.That(it.Prompt, Is.EqualTo("<image><image> Here is a statement about the images. Is it true or false?\nBoth images show a red square.\n (A) True\n (B) False\nAnswer with the option's letter from the given choices directly."),
            "options carry their letters already, so they are added as they are");
        Assert.That(it.Reference, Is.EqualTo("A"));
        var images = it.LoadImages();
        Assert.That(images, Has.Count.EqualTo(2));
        Assert.That(images[0][0, 0], Is.EqualTo(((byte)220, (byte)40, (byte)40)));
        Assert.That(it.Category, Is.EqualTo("logical reasoning"));
    }

    [Test]
    public void MantisEvalHasBothQuestionTypes()
    {
        var items = new MantisEvalBenchmark().Read(BenchmarkSamples.MantisEval(Dir("me"), 2));
        Assert.That(items.Select(i => i.Kind), Is.EqualTo(new[] { AnswerKind.MultipleChoice, AnswerKind.ShortAnswer }));
        Assert.That(items[0].Prompt, Does.StartWith("<image> <image> Which image shows a blue square?\n (A) Image 1\n (B) Image 2\n (C) Neither\n"));
        Assert.That(items[1].Prompt, Does.StartWith("Given the images, answer the following short answer vqa question:\nQ: What colour is the square in <image> that is not in <image>?"));
        Assert.That(new MantisEvalBenchmark().Score(items[1], "Final Answer: Green").Correct, Is.True);
    }

    [Test]
    public void QBench2SplitsPairPathsAndReadsTheZipToo()
    {
        Assert.That(QBench2Benchmark.PairImages("llvisionqa_compare_dev\\00079.jpg_cat_09769.jpg.jpg", "x"), Is.EqualTo(new[] { "00079.jpg", "09769.jpg" }));
        Assert.That(Assert.Throws<MantisException>(() => QBench2Benchmark.PairImages("dev\\a.png", "here"))!.Message, Does.Contain("here").And.Contain("pair path"));
        var dir = BenchmarkSamples.QBench2(Dir("qb"), 2);
        var items = new QBench2Benchmark().Read(dir);
        Assert.That(items.Select(i => i.Id), Is.EqualTo(new[] { "qbench2-a1-0", "qbench2-a1-1" }));
        Assert.That(items[0].Prompt, Is.EqualTo("<image><image>Compared to the first image, how is the clarity of the second image?\n (A) More blurry\n (B) Clearer\n (C) About the same\nAnswer with the option's letter from the given choices directly."));
        Assert.That(items[1].LoadImages().Select(i => i.Width), Is.EqualTo(new[] { 48, 24 }));

        var folder = Path.Combine(dir, QBench2Benchmark.ImageFolder);
        System.IO.Compression.ZipFile.CreateFromDirectory(folder, folder + ".zip", System.IO.Compression.CompressionLevel.Fastest, includeBaseDirectory: true);
        Directory.Delete(folder, true);
        Assert.That(new QBench2Benchmark().Read(dir)[1].LoadImages().Select(i => i.Width), Is.EqualTo(new[] { 48, 24 }), "images from all_single_images.zip");
        File.Delete(folder + ".zip");
        Assert.That(Assert.Throws<MantisException>(() => new QBench2Benchmark().Read(dir))!.Message, Does.Contain("all_single_images"));
        File.Delete(Path.Combine(dir, QBench2Benchmark.JsonlName));
        Assert.That(Assert.Throws<MantisException>(() => new QBench2Benchmark().Read(dir))!.Message, Does.Contain(QBench2Benchmark.JsonlName));
    }

    [Test]
    public void BlinkReadsFourteenSubtasksWithUpToFourImages()
    {
        var dir = BenchmarkSamples.Blink(Dir("blink"), 2);
        var items = new BlinkBenchmark().Read(dir);
        Assert.That(items, Has.Count.EqualTo(28));
        Assert.That(items.Select(i => i.Category).Distinct(), Is.EqualTo(BlinkBenchmark.Subtasks));
        var jigsaw = items.First(i => i.Category == "Jigsaw");
        Assert.That(jigsaw.Prompt, Does.StartWith(string.Concat(Enumerable.Repeat("<image>", jigsaw.ImageCount)) + BlinkBenchmark.Disclaimer + "Which image is brighter?"));
        Assert.That(items.Select(i => i.ImageCount).Distinct().Order(), Is.EqualTo(new[] { 1, 2, 3 }), "empty image_k cells are skipped");
        Assert.That(items.All(i => i.LoadImages().Count == i.ImageCount), Is.True);
        // the score is the mean of the subtask accuracies, not of the items
        var results = items.Select(i => (i, i.Category == "Art_Style")).ToList();
        Assert.That(new BlinkBenchmark().Overall(results), Is.EqualTo(1.0 / 14).Within(1e-12));

        Directory.Delete(Path.Combine(dir, "IQ_Test"), true);
        Assert.That(Assert.Throws<MantisException>(() => new BlinkBenchmark().Read(dir))!.Message, Does.Contain("IQ_Test"));
    }

    [Test]
    public void MvBenchReadsTaskJsonAndSamplesVideosAndFrameFolders()
    {
        var dir = BenchmarkSamples.MvBench(Dir("mv"), 1);
        var bench = new MvBenchBenchmark { Frames = 4 };
        var items = bench.Read(dir);
        Assert.That(items, Has.Count.EqualTo(20));
        var first = items[0];
        Assert.That(first.Category, Is.EqualTo("Action Sequence"));
        Assert.That(first.Prompt, Is.EqualTo("<image><image><image><image>Question: What colour does the video start with?\nA. red\nB. green\nC. blue\nAnswer with the option's letter from the given choices directly."));
        Assert.That(first.Reference, Is.EqualTo("A. red"));
        // GIF of 24 frames (colour changes every 6), bounded [0, 0.96 s] at 25 fps: frames 0..23, seg 5.75 -> 2, 8, 13, 19
        var frames = first.LoadImages();
        Assert.That(frames.Select(f => f[0, 0]), Is.EqualTo(new[] { (220, 40, 40), (40, 180, 60), (40, 80, 220), (230, 210, 40) }.Select(c => ((byte)c.Item1, (byte)c.Item2, (byte)c.Item3))));
        var episodic = items.Single(i => i.Category == "Episodic Reasoning");
        Assert.That(episodic.LoadImages(), Has.Count.EqualTo(4), "TVQA frame folder");

        File.Delete(Path.Combine(dir, "video", "star", "Charades_v1_480", "clip_0.gif"));
        Assert.That(Assert.Throws<MantisException>(() => bench.Read(dir)[0].LoadImages())!.Message, Does.Contain("clip_0.gif").And.Contain("not found"));
        File.Delete(Path.Combine(dir, "json", "moving_count.json"));
        Assert.That(Assert.Throws<MantisException>(() => bench.Read(dir))!.Message, Does.Contain("moving_count.json"));
    }

    [Test]
    public void MissingFilesAndColumnsAreNamed()
    {
        var empty = Dir("empty");
        Directory.CreateDirectory(empty);
        Assert.That(Assert.Throws<MantisException>(() => new Nlvr2Benchmark().Read(empty))!.Message, Does.Contain("test-*.parquet"));
        Assert.That(Assert.Throws<MantisException>(() => new MvBenchBenchmark().Read(empty))!.Message, Does.Contain("json/"));
        Assert.That(Assert.Throws<MantisException>(() => new BlinkBenchmark().Read(Dir("nope")))!.Message, Does.Contain("nope"));

        var file = Path.Combine(empty, "mantis_eval", "test-00000-of-00001.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using (var fs = File.Create(file))
            ParquetSerializer.SerializeUntypedAsync(new List<IDictionary<string, object?>> { new Dictionary<string, object?> { ["id"] = "1", ["question"] = "q" } },
                new ParquetSchema(new DataField<string>("id"), new DataField<string>("question")), fs).GetAwaiter().GetResult();
        var e = Assert.Throws<MantisException>(() => new MantisEvalBenchmark().Read(empty))!;
        Assert.That(e.Message, Does.Contain(file).And.Contain("no column 'images'"));
    }
}
