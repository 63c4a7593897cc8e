using System.IO.Compression;
using System.Text.Json;
using MantisNative.Data.Records;

namespace MantisNative.Evaluation.Benchmarks;

/// <summary>
/// Q-Bench2-A1-pair dev as q-future/q-bench2 publishes it: q-bench2-a1-dev.jsonl (question, img_path, candidates,
/// correct_choice) and the single images in all_single_images/ (or still in all_single_images.zip). A pair path
/// "llvisionqa_compare_dev\00079.jpg_cat_09769.jpg.jpg" names the two images 00079.jpg and 09769.jpg, as the Mantis
/// repository's data/qbench2/prepare.py splits it; options become "(A) candidate".
/// </summary>
public sealed class QBench2Benchmark : IBenchmark
{
    public const string JsonlName = "q-bench2-a1-dev.jsonl";
    public const string ImageFolder = "all_single_images";

    public string Name => "qbench2";
    public string Title => "Q-Bench2-A1-pair dev";
    public PaperScores Paper { get; } = new(69.9, 57.0, 40.20);

    /// <summary>The two image names of a pair path ("dir\a.jpg_cat_b.jpg.jpg" gives a.jpg and b.jpg).</summary>
    public static string[] PairImages(string imgPath, string where)
    {
        int slash = imgPath.IndexOf('\\');
        var name = slash >= 0 ? imgPath[(slash + 1)..] : imgPath;
        if (!name.EndsWith(".jpg", StringComparison.Ordinal) || !name.Contains("_cat_", StringComparison.Ordinal))
            throw new MantisException($"{where}: img_path '{imgPath}' is not a pair path 'folder\\a.jpg_cat_b.jpg.jpg'");
        return name[..^".jpg".Length].Split("_cat_");
    }

    public IReadOnlyList<BenchmarkItem> Read(string dataDir)
    {
        BenchmarkFiles.RequireFolder(dataDir, Title);
        var jsonl = new[] { Path.Combine(dataDir, JsonlName), Path.Combine(dataDir, "data", JsonlName) }.FirstOrDefault(File.Exists)
            ?? throw new MantisException($"{dataDir}: no {JsonlName} (q-future/q-bench2's layout: {JsonlName} and {ImageFolder}/ or {ImageFolder}.zip)");
        var root = Path.GetDirectoryName(jsonl)!;
        var images = ImageStore.Open(root);
        var items = new List<BenchmarkItem>();
        int line = 0, index = 0;
        foreach (var text in File.ReadLines(jsonl))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var where = $"{jsonl} line {line}";
            JsonDocument doc;
            try { doc = JsonDocument.Parse(text); }
            catch (JsonException e) { throw new MantisException($"{where}: not valid JSON ({e.Message})", e); }
            using (doc)
            {
                var o = doc.RootElement;
                string Field(string name) => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
                    : throw new MantisException($"{where}: no string field '{name}'");
                if (!o.TryGetProperty("candidates", out var c) || c.ValueKind != JsonValueKind.Array)
                    throw new MantisException($"{where}: no list field 'candidates'");
                var options = c.EnumerateArray().Select((x, i) => $"({(char)('A' + i)}) {x}").ToList();
                var pair = PairImages(Field("img_path"), where).Select(n => images.Get(n, where)).ToList();
                items.Add(HarnessRecords.Item($"qbench2-a1-{index}", "low level visual comparison", AnswerKind.MultipleChoice,
                    Field("question"), options, Field("correct_choice"), pair));
            }
            index++;
        }
        return items;
    }

    public BenchmarkScore Score(BenchmarkItem item, string raw) =>
        MantisHarnessScoring.MultipleChoice(raw, item.Reference, item.Options, nlvr2: false);

    public double Overall(IReadOnlyList<(BenchmarkItem Item, bool Correct)> results) => BenchmarkCatalog.Mean(results);

    /// <summary>The single images: the unpacked folder, else the zip (entries read on demand into memory).</summary>
    private sealed class ImageStore
    {
        private readonly string? _folder;
        private readonly Dictionary<string, ZipArchiveEntry>? _zip;
        private readonly string _zipPath = "";

        private ImageStore(string? folder, Dictionary<string, ZipArchiveEntry>? zip, string zipPath)
        {
            _folder = folder;
            _zip = zip;
            _zipPath = zipPath;
        }

        public static ImageStore Open(string root)
        {
            var folder = Path.Combine(root, ImageFolder);
            if (Directory.Exists(folder)) return new ImageStore(folder, null, "");
            var zip = folder + ".zip";
            if (!File.Exists(zip)) throw new MantisException($"{root}: no {ImageFolder}/ folder and no {ImageFolder}.zip (Q-Bench2's images)");
            var archive = ZipFile.OpenRead(zip);
            var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            foreach (var e in archive.Entries)
                if (e.Name.Length > 0) entries.TryAdd(e.Name, e);
            return new ImageStore(null, entries, zip);
        }

        public ImageSource Get(string name, string where)
        {
            if (_folder is not null)
            {
                var path = Path.Combine(_folder, name);
                return File.Exists(path) ? ImageSource.FromFile(path, name) : throw new MantisException($"{where}: image '{path}' not found");
            }
            if (!_zip!.TryGetValue(name, out var entry)) throw new MantisException($"{where}: image '{name}' is not in {_zipPath}");
            lock (_zip)
            {
                using var s = entry.Open();
                using var ms = new MemoryStream();
                s.CopyTo(ms);
                return ImageSource.FromBytes(ms.ToArray(), $"{_zipPath}:{name}");
            }
        }
    }
}
