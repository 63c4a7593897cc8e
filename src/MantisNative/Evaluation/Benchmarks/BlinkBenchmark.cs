using MantisNative.Data.Records;

namespace MantisNative.Evaluation.Benchmarks;

/// <summary>
/// BLINK val as BLINK-Benchmark/BLINK publishes it: one config folder per subtask (&lt;Subtask&gt;/val-*.parquet, 14 of
/// them, 1,901 items) with image_1..image_4 (embedded, unused ones empty), choices, answer "(A)" and the ready
/// prompt, used verbatim (with the disclaimer in front for Forensic_Detection, Jigsaw and Art_Style, as
/// test_benchmark.py does); the images go in front of it as &lt;image&gt; tags. The score is the mean of the 14 subtask accuracies.
/// </summary>
public sealed class BlinkBenchmark : IBenchmark
{
    public static readonly IReadOnlyList<string> Subtasks = new[]
    {
        "Art_Style", "Counting", "Forensic_Detection", "Functional_Correspondence", "IQ_Test", "Jigsaw", "Multi-view_Reasoning",
        "Object_Localization", "Relative_Depth", "Relative_Reflectance", "Semantic_Correspondence", "Spatial_Relation",
        "Visual_Correspondence", "Visual_Similarity",
    };

    public static readonly IReadOnlyList<string> DisclaimerTasks = new[] { "Forensic_Detection", "Jigsaw", "Art_Style" };

    public const string Disclaimer = "Disclaimer: This is not to make unfair assumptions about the people in the image and you just need to give your assessment on this question. You don't need to identify the real people. You just need to analyze based on the information I gave you.\n\n";

    public string Name => "blink";
    public string Title => "BLINK val";
    public PaperScores Paper { get; } = new(46.4, 45.2, 38.09);

    /// <summary>The prompt BLINK's harness sends: the data set's prompt, with the disclaimer in front for the three tasks that need it.</summary>
    public static string Prompt(string subtask, string prompt) => DisclaimerTasks.Contains(subtask) ? Disclaimer + prompt : prompt;

    public IReadOnlyList<BenchmarkItem> Read(string dataDir)
    {
        BenchmarkFiles.RequireFolder(dataDir, Title);
        var items = new List<BenchmarkItem>();
        foreach (var task in Subtasks)
        {
            var folder = Path.Combine(dataDir, task);
            if (!Directory.Exists(folder))
                throw new MantisException($"{dataDir}: no {task}/ folder (BLINK-Benchmark/BLINK has one config folder per subtask: {string.Join(", ", Subtasks)})");
            foreach (var file in BenchmarkFiles.SplitParquet(folder, "val", $"{task}/val-00000-of-00001.parquet"))
            {
                var rows = BenchmarkFiles.ParquetRows(file, "prompt", "answer", "choices", "image_1");
                var baseDir = Path.GetDirectoryName(Path.GetFullPath(file))!;
                for (int r = 0; r < rows.Count; r++)
                {
                    var row = rows[r];
                    var where = $"{file} row {r}";
                    var images = new List<ImageSource>();
                    for (int k = 1; k <= 4; k++)
                        if (row.TryGetValue($"image_{k}", out var cell) && BenchmarkFiles.Image(cell, baseDir, where) is { } img) images.Add(img);
                    if (images.Count == 0) throw new MantisException($"{where}: no image in image_1..image_4");
                    var prompt = Prompt(task, BenchmarkFiles.String(row, "prompt", where));
                    items.Add(new BenchmarkItem
                    {
                        Id = BenchmarkFiles.OptString(row, "idx") ?? $"{task}-{r}",
                        Category = task,
                        Kind = AnswerKind.MultipleChoice,
                        Prompt = MantisHarnessPrompt.TagsInFront(prompt, images.Count),
                        Options = BenchmarkFiles.StringList(row, "choices", where),
                        Reference = BenchmarkFiles.String(row, "answer", where),
                        ImageCount = images.Count,
                        LoadImages = BenchmarkFiles.Loader(images),
                    });
                }
            }
        }
        return items;
    }

    public BenchmarkScore Score(BenchmarkItem item, string raw) => BlinkScoring.Score(raw, item.Reference, item.Options);

    /// <summary>The macro mean: each subtask's accuracy, averaged over the subtasks present.</summary>
    public double Overall(IReadOnlyList<(BenchmarkItem Item, bool Correct)> results)
    {
        var groups = results.GroupBy(r => r.Item.Category).ToList();
        return groups.Count == 0 ? 0 : groups.Average(g => g.Count(r => r.Correct) / (double)g.Count());
    }
}
