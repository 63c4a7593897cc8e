using MantisNative.Data.Records;

namespace MantisNative.Evaluation.Benchmarks;

/// <summary>
/// Items in the Mantis harness's record format (id, question_type, question, images, options, answer, category), as
/// TIGER-Lab publishes Mantis-Eval and NLVR2 in parquet and as Q-Bench2's prepare.py writes it, turned into prompts.
/// </summary>
public static class HarnessRecords
{
    public const string MultiChoice = "multi-choice";
    public const string ShortAnswer = "short-answer";

    /// <summary>The answer kind of a question_type; anything else is an error naming the item.</summary>
    public static AnswerKind Kind(string questionType, string where) => questionType switch
    {
        MultiChoice => AnswerKind.MultipleChoice,
        ShortAnswer => AnswerKind.ShortAnswer,
        _ => throw new MantisException($"{where}: question_type '{questionType}' is neither '{MultiChoice}' nor '{ShortAnswer}'"),
    };

    public static BenchmarkItem Item(string id, string category, AnswerKind kind, string question, IReadOnlyList<string> options,
        string answer, IReadOnlyList<ImageSource> images) => new()
    {
        Id = id,
        Category = category,
        Kind = kind,
        Prompt = MantisHarnessPrompt.Build(question, kind, options, images.Count),
        Options = options,
        Reference = answer,
        ImageCount = images.Count,
        LoadImages = BenchmarkFiles.Loader(images),
    };

    /// <summary>
    /// The rows of parquet files in that format. <paramref name="defaultType"/> stands in for a missing question_type
    /// column (NLVR2 is all multiple choice); null makes the column required.
    /// </summary>
    public static List<BenchmarkItem> FromParquet(IEnumerable<string> files, string? defaultType, string defaultCategory)
    {
        var required = new List<string> { "question", "images", "options", "answer" };
        if (defaultType is null) required.Add("question_type");
        var items = new List<BenchmarkItem>();
        foreach (var file in files)
        {
            var rows = BenchmarkFiles.ParquetRows(file, required.ToArray());
            var baseDir = Path.GetDirectoryName(Path.GetFullPath(file))!;
            for (int r = 0; r < rows.Count; r++)
            {
                var row = rows[r];
                var where = $"{file} row {r}";
                var id = BenchmarkFiles.OptString(row, "id") ?? $"{Path.GetFileNameWithoutExtension(file)}-{r}";
                var kind = Kind(BenchmarkFiles.OptString(row, "question_type") ?? defaultType ?? "", where);
                var options = kind == AnswerKind.MultipleChoice ? BenchmarkFiles.StringList(row, "options", where)
                    : row.TryGetValue("options", out var o) && o is not null ? BenchmarkFiles.StringList(row, "options", where) : new List<string>();
                items.Add(Item(id, BenchmarkFiles.OptString(row, "category") ?? defaultCategory, kind, BenchmarkFiles.String(row, "question", where),
                    options, BenchmarkFiles.String(row, "answer", where), BenchmarkFiles.Images(row, "images", baseDir, where)));
            }
        }
        return items;
    }
}
