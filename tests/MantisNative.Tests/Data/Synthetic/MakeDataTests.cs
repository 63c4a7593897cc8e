using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MantisNative.Data.Records;
using MantisNative.Data.Synthetic;
using NUnit.Framework;
using SkiaSharp;

namespace MantisNative.Tests.Data.Synthetic;

/// <summary>A small generated set (40 train + 20 held-out examples per family), written twice with one seed.</summary>
public class MakeDataTests
{
    private string _root = null!;
    private string _a = null!;
    private SyntheticSummary _summary = null!;
    private List<InstructRecord> _train = null!, _held = null!;
    private RecordReport _trainReport = null!, _heldReport = null!;
    private static readonly SyntheticOptions Small = new() { Train = 600, HeldOut = 300, Seed = 77 };

    [OneTimeSetUp]
    public void Generate()
    {
        _root = Path.Combine(Path.GetTempPath(), "mantis-synth-" + Guid.NewGuid().ToString("N"));
        _a = Path.Combine(_root, "a");
        _summary = SyntheticDatasetWriter.Write(_a, Small);
        _train = RecordReader.ReadAll(Path.Combine(_a, "train.jsonl"), out _trainReport);
        _held = RecordReader.ReadAll(Path.Combine(_a, "heldout.jsonl"), out _heldReport);
    }

    [OneTimeTearDown]
    public void Clean()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private static string HashFolder(string dir)
    {
        using var sha = SHA256.Create();
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).OrderBy(f => f, StringComparer.Ordinal))
        {
            var rel = Encoding.UTF8.GetBytes(Path.GetRelativePath(dir, f).Replace('\\', '/') + "\n");
            sha.TransformBlock(rel, 0, rel.Length, null, 0);
            var bytes = File.ReadAllBytes(f);
            sha.TransformBlock(bytes, 0, bytes.Length, null, 0);
        }
        sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
        return Convert.ToHexString(sha.Hash!);
    }

    [Test]
    public void SameSeedGivesByteIdenticalFolders()
    {
        var b = Path.Combine(_root, "b");
        SyntheticDatasetWriter.Write(b, Small);
        Assert.That(HashFolder(b), Is.EqualTo(HashFolder(_a)));
        Assert.That(Directory.GetFiles(_root, "*.tmp", SearchOption.AllDirectories), Is.Empty, "no temporary files left");
        Assert.That(Directory.GetDirectories(_root, ".*"), Is.Empty, "no temporary folder left");
    }

    [Test]
    public void OtherSeedGivesOtherData()
    {
        var c = Path.Combine(_root, "c");
        SyntheticDatasetWriter.Write(c, new SyntheticOptions { Train = 60, HeldOut = 30, Seed = 78 });
        Assert.That(File.ReadAllText(Path.Combine(c, "train.jsonl")), Is.Not.EqualTo(string.Join("", File.ReadLines(Path.Combine(_a, "train.jsonl")).Take(60).Select(l => l + "\n"))));
    }

    [Test]
    public void ReaderLoadsBothSplitsWithNothingSkipped()
    {
        Assert.That(_trainReport.Skipped, Is.EqualTo(0), _trainReport.ToTable());
        Assert.That(_heldReport.Skipped, Is.EqualTo(0), _heldReport.ToTable());
        Assert.That(_train, Has.Count.EqualTo(600));
        Assert.That(_held, Has.Count.EqualTo(300));
        Assert.That(_summary.Train.Images, Is.EqualTo(_train.Sum(r => r.Images.Count)));
        Assert.That(_train.All(r => r.Get("skill") is not null && r.Get("family") is not null && r.GetList("options") is { Count: > 1 }));
        Assert.That(_train.Select(r => r.Id).Distinct().Count(), Is.EqualTo(600));
    }

    [Test]
    public void EveryFamilyIsInBothSplitsEquallyOften()
    {
        foreach (var f in SkillFamilies.All)
        {
            Assert.That(_train.Count(r => r.Get("family") == f.Name), Is.EqualTo(40), f.Name);
            Assert.That(_held.Count(r => r.Get("family") == f.Name), Is.EqualTo(20), f.Name);
        }
        Assert.That(SkillFamilies.All.Select(f => f.Skill).Distinct(), Is.EquivalentTo(new[] { "single", "coreference", "comparison", "reasoning", "temporal" }));
        Assert.That(SkillFamilies.All.GroupBy(f => f.Skill).All(g => g.Count() >= 3), "several families per skill");
    }

    private static IReadOnlyList<Scene> Scenes(InstructRecord r) => ExampleJson.ParseScenes(r.Get("scenes")!);

    [Test]
    public void HeldOutPairsNeverOccurInTraining()
    {
        var withheld = PairSampler.WithheldPairs.ToList();
        foreach (var r in _train)
        {
            Assert.That(Scenes(r).Any(s => PairSampler.IsWithheld(s.Colour, s.Shape)), Is.False, r.Id);
            foreach (var (c, s) in withheld)
                Assert.That(r.Turns[0].Content, Does.Not.Contain($"{Attributes.Name(c)} {Attributes.Name(s)}"), r.Id);
        }
        foreach (var r in _held)
            Assert.That(Scenes(r).Any(s => PairSampler.IsWithheld(s.Colour, s.Shape)), Is.True, $"{r.Id} shows no held-out pair");
    }

    [Test]
    public void TrainingPairsAreBalancedSoNoAttributePredictsAnother()
    {
        // every scene of 3000 training examples, generated in memory
        var pairs = new Dictionary<(ColourKind, ShapeKind), int>();
        for (int i = 0; i < 3000; i++)
            foreach (var s in SkillFamilies.Generate(SplitKind.Train, i, 5, 32).Example.Scenes)
                pairs[(s.Colour, s.Shape)] = pairs.GetValueOrDefault((s.Colour, s.Shape)) + 1;
        Assert.That(pairs.Keys.Count(k => PairSampler.IsWithheld(k.Item1, k.Item2)), Is.EqualTo(0));
        Assert.That(pairs, Has.Count.EqualTo(12), "all 12 allowed pairs occur");
        double mean = pairs.Values.Average();
        foreach (var (k, n) in pairs)
            Assert.That(n, Is.InRange(mean * 0.8, mean * 1.2), $"pair {k} drawn {n} times, mean {mean:F0}");
    }

    [Test]
    public void AnswersFollowFromTheScenes()
    {
        foreach (var r in _train.Concat(_held))
        {
            var answer = r.Turns[1].Content;
            var derived = SyntheticOracle.Answer(r.Get("family")!, r.Turns[0].Content, Scenes(r));
            Assert.That(answer, Is.EqualTo(derived), $"{r.Id}: {r.Turns[0].Content}");
            Assert.That(r.GetList("options"), Does.Contain(answer), r.Id);
            Assert.That(SkillFamilies.Get(r.Get("family")!).Answers, Does.Contain(answer), r.Id);
            Assert.That(Scenes(r), Has.Count.EqualTo(r.Images.Count), r.Id);
        }
    }

    [Test]
    public void BinaryAnswersAreBalanced()
    {
        foreach (var fam in SkillFamilies.All.Where(f => f.Answers.Count == 2))
        {
            int idx = SkillFamilies.All.ToList().IndexOf(fam), first = 0, n = 0;
            for (int i = idx; i < 15 * 400; i += SkillFamilies.All.Count, n++)
                if (SkillFamilies.Generate(SplitKind.Train, i, 9, 32).Example.Answer == fam.Answers[0]) first++;
            Assert.That(first / (double)n, Is.InRange(0.4, 0.6), fam.Name);
        }
    }

    /// <summary>The pixels show what the metadata says: the colour of the shapes and how many there are.</summary>
    [Test]
    public void ImagesShowTheSceneColourAndCount()
    {
        int checkedImages = 0;
        foreach (var r in _train.Take(150).Concat(_held.Take(75)))
        {
            var scenes = Scenes(r);
            for (int k = 0; k < r.Images.Count; k++)
            {
                using var bmp = SKBitmap.Decode(r.Images[k].FilePath);
                Assert.That(bmp.Width, Is.EqualTo(32));
                var (colour, components) = Inspect(bmp);
                Assert.That(colour, Is.EqualTo(scenes[k].Colour), $"{r.Id} image {k}");
                Assert.That(components, Is.EqualTo(scenes[k].Count), $"{r.Id} image {k}");
                checkedImages++;
            }
        }
        Assert.That(checkedImages, Is.GreaterThan(300));
    }

    /// <summary>Nearest palette colour of the strongly coloured pixels, and their 4-connected components of 4+ pixels.</summary>
    private static (ColourKind, int) Inspect(SKBitmap bmp)
    {
        int w = bmp.Width, h = bmp.Height;
        var fg = new bool[w, h];
        double r = 0, g = 0, b = 0;
        int n = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var c = bmp.GetPixel(x, y);
                int max = Math.Max(c.Red, Math.Max(c.Green, c.Blue)), min = Math.Min(c.Red, Math.Min(c.Green, c.Blue));
                if (max - min > 90) { fg[x, y] = true; r += c.Red; g += c.Green; b += c.Blue; n++; }
            }
        Assert.That(n, Is.GreaterThan(0), "no shape pixels");
        var colour = Attributes.Colours.OrderBy(k =>
        {
            var (pr, pg, pb) = Attributes.Rgb(k);
            return Math.Pow(r / n - pr, 2) + Math.Pow(g / n - pg, 2) + Math.Pow(b / n - pb, 2);
        }).First();
        int components = 0;
        var seen = new bool[w, h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                if (!fg[x, y] || seen[x, y]) continue;
                int size = 0;
                var stack = new Stack<(int, int)>();
                stack.Push((x, y));
                seen[x, y] = true;
                while (stack.Count > 0)
                {
                    var (cx, cy) = stack.Pop();
                    size++;
                    foreach (var (nx, ny) in new[] { (cx + 1, cy), (cx - 1, cy), (cx, cy + 1), (cx, cy - 1) })
                        if (nx >= 0 && ny >= 0 && nx < w && ny < h && fg[nx, ny] && !seen[nx, ny]) { seen[nx, ny] = true; stack.Push((nx, ny)); }
                }
                if (size >= 4) components++;
            }
        return (colour, components);
    }

    [Test]
    public void DatasetInfoDescribesFamiliesAnswersAndCounts()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_a, "dataset_info.json")));
        var fams = doc.RootElement.GetProperty("families").EnumerateArray().ToList();
        Assert.That(fams.Select(f => f.GetProperty("name").GetString()), Is.EqualTo(SkillFamilies.All.Select(f => f.Name)));
        foreach (var f in fams)
        {
            Assert.That(f.GetProperty("train").GetInt32(), Is.EqualTo(40));
            Assert.That(f.GetProperty("heldout").GetInt32(), Is.EqualTo(20));
            double chance = f.GetProperty("chance").GetDouble();
            Assert.That(chance, Is.GreaterThanOrEqualTo(1.0 / f.GetProperty("answers").GetArrayLength() - 1e-9).And.LessThanOrEqualTo(0.5));
        }
        Assert.That(doc.RootElement.GetProperty("heldout_pairs").GetArrayLength(), Is.EqualTo(4));
        Assert.That(File.ReadAllText(Path.Combine(_a, "README.md")), Does.Contain("coref_colour"));
        using var preview = SKBitmap.Decode(Path.Combine(_a, "preview.png"));
        Assert.That(preview, Is.Not.Null);
    }

    [Test]
    public void RefusesANonEmptyFolderUnlessForced()
    {
        var d = Path.Combine(_root, "d");
        Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(d, "keep.txt"), "x");
        var ex = Assert.Throws<MantisException>(() => SyntheticDatasetWriter.Write(d, new SyntheticOptions { Train = 15, HeldOut = 15 }))!;
        Assert.That(ex.Message, Does.Contain("not empty").And.Contain("--force"));
        Assert.That(File.Exists(Path.Combine(d, "keep.txt")));
        SyntheticDatasetWriter.Write(d, new SyntheticOptions { Train = 15, HeldOut = 15, Force = true });
        Assert.That(File.Exists(Path.Combine(d, "keep.txt")), Is.False);
        Assert.That(File.Exists(Path.Combine(d, "train.jsonl")));
    }
}
