using System.Text.Json;
using MantisNative.Data.Video;
using Parquet.Schema;
using Parquet.Serialization;
using SkiaSharp;

namespace MantisNative.Evaluation.Benchmarks;

/// <summary>
/// Writes a few made-up items of each benchmark in its published layout (file names, columns, embedded images, pair
/// paths, subtask folders, task json and videos), so that `mantis eval --benchmark` can be tried end to end without the
/// real data sets. Images are coloured squares; the questions ask about their colours.
/// </summary>
public static class BenchmarkSamples
{
    private static readonly (string Name, SKColor Color)[] Colours =
    {
        ("red", new SKColor(220, 40, 40)), ("green", new SKColor(40, 180, 60)), ("blue", new SKColor(40, 80, 220)), ("yellow", new SKColor(230, 210, 40)),
    };

    /// <summary>Writes nlvr2/, qbench2/, mantis-eval/, blink/ and mvbench/ under <paramref name="root"/>; returns the folder of each by benchmark name.</summary>
    public static IReadOnlyDictionary<string, string> WriteAll(string root, int perBenchmark = 4)
    {
        var dirs = new Dictionary<string, string>
        {
            ["nlvr2"] = Nlvr2(Path.Combine(root, "nlvr2"), perBenchmark),
            ["qbench2"] = QBench2(Path.Combine(root, "qbench2"), perBenchmark),
            ["mantis-eval"] = MantisEval(Path.Combine(root, "mantis-eval"), perBenchmark),
            ["blink"] = Blink(Path.Combine(root, "blink"), Math.Max(1, perBenchmark / 4)),
            ["mvbench"] = MvBench(Path.Combine(root, "mvbench"), Math.Max(1, perBenchmark / 4)),
        };
        return dirs;
    }

    public static byte[] Square(SKColor c, int size = 48, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bmp = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bmp.Erase(c);
        using var data = bmp.PeekPixels().Encode(format, 95)!;
        return data.ToArray();
    }

    /// <summary>A list-of-strings cell as Parquet.Net's untyped writer takes it.</summary>
    private static List<ReadOnlyMemory<char>?> Strings(params string[] items) => items.Select(s => (ReadOnlyMemory<char>?)s.AsMemory()).ToList();

    private static Dictionary<string, object?> Img(byte[] bytes, string name) => new() { ["bytes"] = (ReadOnlyMemory<byte>?)bytes, ["path"] = name };

    private static StructField ImageStruct(string name) => new(name, new DataField<byte[]>("bytes"), new DataField<string>("path"));

    private static readonly ParquetSchema HarnessSchema = new(
        new DataField<string>("id"), new DataField<string>("question_type"), new DataField<string>("question"),
        new ListField("images", ImageStruct("element")), new ListField("options", new DataField<string>("element")),
        new DataField<string>("answer"), new DataField<string>("data_source"), new DataField<string>("category"));

    private static void WriteParquet(string file, ParquetSchema schema, IReadOnlyCollection<IDictionary<string, object?>> rows)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        using var fs = File.Create(file);
        ParquetSerializer.SerializeUntypedAsync(rows, schema, fs).GetAwaiter().GetResult();
    }

    public static string Nlvr2(string dir, int n)
    {
        var rows = new List<IDictionary<string, object?>>();
        for (int i = 0; i < n; i++)
        {
            var (a, b) = (Colours[i % 4], Colours[(i + i / 4 + 1) % 4]);
            bool same = i % 2 == 0;
            var right = same ? a : b;
            bool trueFirst = i % 3 == 0;
            var options = trueFirst ? Strings("(A) True", "(B) False") : Strings("(A) False", "(B) True");
            bool truth = a.Name == right.Name;
            rows.Add(new Dictionary<string, object?>
            {
                ["id"] = $"test1-{i}-0-0", ["question_type"] = HarnessRecords.MultiChoice,
                ["question"] = $"<image><image> Here is a statement about the images. Is it true or false?\nBoth images show a {a.Name} square.",
                ["images"] = new List<Dictionary<string, object?>> { Img(Square(a.Color), $"test1-{i}-img0.png"), Img(Square(right.Color), $"test1-{i}-img1.png") },
                ["options"] = options, ["answer"] = truth == trueFirst ? "A" : "B", ["data_source"] = "nlvr2_test", ["category"] = "logical reasoning",
            });
        }
        WriteParquet(Path.Combine(dir, "nlvr2", "test-00000-of-00001.parquet"), HarnessSchema, rows);
        return dir;
    }

    public static string MantisEval(string dir, int n)
    {
        var rows = new List<IDictionary<string, object?>>();
        for (int i = 0; i < n; i++)
        {
            var (a, b) = (Colours[i % 4], Colours[(i + 1) % 4]);
            bool shortAnswer = i % 2 == 1;
            rows.Add(new Dictionary<string, object?>
            {
                ["id"] = $"sample-{i}", ["question_type"] = shortAnswer ? HarnessRecords.ShortAnswer : HarnessRecords.MultiChoice,
                ["question"] = shortAnswer ? "What colour is the square in <image> that is not in <image>?" : "<image> <image> Which image shows a blue square?",
                ["images"] = new List<Dictionary<string, object?>> { Img(Square(a.Color), "0.png"), Img(Square(b.Color), "1.png") },
                ["options"] = shortAnswer ? Strings() : Strings("Image 1", "Image 2", "Neither"),
                ["answer"] = shortAnswer ? a.Name : a.Name == "blue" ? "A" : b.Name == "blue" ? "B" : "C",
                ["data_source"] = "samples", ["category"] = shortAnswer ? "colour naming" : "co-reference",
            });
        }
        WriteParquet(Path.Combine(dir, "mantis_eval", "test-00000-of-00001.parquet"), HarnessSchema, rows);
        return dir;
    }

    public static string QBench2(string dir, int n)
    {
        var images = Path.Combine(dir, QBench2Benchmark.ImageFolder);
        Directory.CreateDirectory(images);
        using var w = new StreamWriter(Path.Combine(dir, QBench2Benchmark.JsonlName));
        for (int i = 0; i < n; i++)
        {
            string first = $"{2 * i:D5}.jpg", second = $"{2 * i + 1:D5}.jpg";
            File.WriteAllBytes(Path.Combine(images, first), Square(Colours[i % 4].Color, 48, SKEncodedImageFormat.Jpeg));
            File.WriteAllBytes(Path.Combine(images, second), Square(Colours[(i + 2) % 4].Color, 24, SKEncodedImageFormat.Jpeg));
            var line = new Dictionary<string, object>
            {
                ["type"] = 2, ["concern"] = 0, ["question"] = "Compared to the first image, how is the clarity of the second image?",
                ["img_path"] = $"llvisionqa_compare_dev\\{first}_cat_{second}.jpg",
                ["candidates"] = new[] { "More blurry", "Clearer", "About the same" }, ["correct_ans"] = "More blurry", ["correct_choice"] = "A",
            };
            w.WriteLine(JsonLine(line));
        }
        return dir;
    }

    public static string Blink(string dir, int perTask)
    {
        var schema = new ParquetSchema(new DataField<string>("idx"), new DataField<string>("question"), new DataField<string>("sub_task"),
            ImageStruct("image_1"), ImageStruct("image_2"), ImageStruct("image_3"), ImageStruct("image_4"),
            new ListField("choices", new DataField<string>("element")), new DataField<string>("answer"), new DataField<string>("prompt"));
        foreach (var task in BlinkBenchmark.Subtasks)
        {
            var rows = new List<IDictionary<string, object?>>();
            for (int i = 0; i < perTask; i++)
            {
                int images = 1 + (i + task.Length) % 3;
                var row = new Dictionary<string, object?> { ["idx"] = $"val_{task}_{i + 1}", ["sub_task"] = task };
                for (int k = 1; k <= 4; k++)
                    row[$"image_{k}"] = k <= images ? Img(Square(Colours[(i + k) % 4].Color), $"{k}.png") : new Dictionary<string, object?> { ["bytes"] = null, ["path"] = null };
                var choices = Strings("the first image", "the second image");
                row["question"] = "Which image is brighter?";
                row["choices"] = choices;
                row["answer"] = i % 2 == 0 ? "(A)" : "(B)";
                row["prompt"] = "Which image is brighter?\nSelect from the following choices.\n(A) the first image\n(B) the second image";
                rows.Add(row);
            }
            WriteParquet(Path.Combine(dir, task, "val-00000-of-00001.parquet"), schema, rows);
        }
        return dir;
    }

    public static string MvBench(string dir, int perTask)
    {
        var palette = Colours.Select(c => (c.Color.Red, c.Color.Green, c.Color.Blue)).ToArray();
        foreach (var task in MvBenchBenchmark.Tasks)
        {
            var items = new List<Dictionary<string, object>>();
            for (int i = 0; i < perTask; i++)
            {
                string name = task.FrameFolder ? $"clip_{i}" : $"clip_{i}.gif";
                var path = Path.Combine(dir, "video", task.VideoPrefix, name);
                Directory.CreateDirectory(task.FrameFolder ? path : Path.GetDirectoryName(path)!);
                // 24 frames whose colour changes every 6 frames: the clip's order of colours is the question
                if (task.FrameFolder)
                    for (int f = 1; f <= 24; f++)
                        File.WriteAllBytes(Path.Combine(path, $"{f:D5}.jpg"), Square(Colours[((f - 1) / 6 + i) % 4].Color, 32, SKEncodedImageFormat.Jpeg));
                else
                    File.WriteAllBytes(path, GifWriter.Encode(32, 32, palette,
                        Enumerable.Range(0, 24).Select(f => new GifWriter.Frame(0, 0, 32, 32, Enumerable.Repeat((byte)((f / 6 + i) % 4), 32 * 32).ToArray())).ToList()));
                var first = Colours[i % 4].Name;
                var item = new Dictionary<string, object>
                {
                    ["video"] = name, ["question"] = "What colour does the video start with?",
                    ["candidates"] = new[] { first, Colours[(i + 1) % 4].Name, Colours[(i + 2) % 4].Name }, ["answer"] = first,
                };
                if (task.Bounded) { item["start"] = 0.0; item["end"] = task.FrameFolder ? 8.0 : 0.96; }
                items.Add(item);
            }
            Directory.CreateDirectory(Path.Combine(dir, "json"));
            File.WriteAllText(Path.Combine(dir, "json", task.Json), "[" + string.Join(",\n", items.Select(JsonLine)) + "]");
        }
        return dir;
    }

    /// <summary>One JSON object of strings, numbers and string arrays (no reflection: trim-safe).</summary>
    private static string JsonLine(Dictionary<string, object> fields)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            foreach (var (k, v) in fields)
            {
                switch (v)
                {
                    case string s: w.WriteString(k, s); break;
                    case int n: w.WriteNumber(k, n); break;
                    case double d: w.WriteNumber(k, d); break;
                    case string[] a:
                        w.WriteStartArray(k);
                        foreach (var x in a) w.WriteStringValue(x);
                        w.WriteEndArray();
                        break;
                    default: throw new ArgumentException($"unsupported JSON value {v.GetType().Name}");
                }
            }
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }
}
