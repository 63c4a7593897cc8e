using System.Text.Json;
using MantisNative.Data.Records;

namespace MantisNative.Evaluation;

/// <summary>
/// Finds and reads evaluation records: a record file, a glob, or a folder — where a split name picks
/// &lt;folder&gt;/&lt;split&gt;.jsonl (the synthetic set's train.jsonl / heldout.jsonl) — and the chance accuracy of each
/// family from the dataset_info.json that `mantis make-data` writes beside them.
/// </summary>
public static class EvalData
{
    public const string DatasetInfoFileName = "dataset_info.json";

    /// <summary>The folder's split file (&lt;split&gt;.jsonl, .json or .parquet), or null when it has none.</summary>
    public static string? SplitFile(string folder, string split) =>
        Directory.Exists(folder)
            ? RecordReader.Extensions.Select(e => Path.Combine(folder, split + e)).FirstOrDefault(File.Exists)
            : null;

    /// <summary>
    /// The records path for <paramref name="data"/>: with a split, a folder must hold that split's file; without,
    /// the path is used as it is (a file, a folder's record files, or a glob).
    /// </summary>
    public static string ResolveRecords(string data, string? split)
    {
        if (split is null) return data;
        if (!Directory.Exists(data))
            throw new MantisException(File.Exists(data) ? $"{data}: a split ('{split}') picks a file in a folder; this is a file" : $"{data}: no such data folder");
        return SplitFile(data, split)
            ?? throw new MantisException($"{data}: no {split}.jsonl (or .json, .parquet) in this folder");
    }

    /// <summary>
    /// Reads up to <paramref name="limit"/> records. Images are only checked to exist here: evaluation decodes them
    /// anyway, and a bad one fails there with its file name.
    /// </summary>
    public static List<InstructRecord> Read(string recordsPath, int? limit, out RecordReport report)
    {
        if (limit is < 1) throw new MantisException($"limit must be at least 1, got {limit}");
        report = new RecordReport();
        var records = RecordReader.Read(recordsPath, report, new RecordReaderOptions { ImageCheck = ImageCheckMode.Exists });
        return (limit is int n ? records.Take(n) : records).ToList();
    }

    /// <summary>
    /// Chance per family from dataset_info.json ({"families": [{"name", "chance"}]}) in <paramref name="data"/> (a
    /// folder) or beside it (a file); null when there is none.
    /// </summary>
    public static IReadOnlyDictionary<string, double>? LoadChance(string data)
    {
        var folder = Directory.Exists(data) ? data : Path.GetDirectoryName(Path.GetFullPath(data));
        if (folder is null) return null;
        var path = Path.Combine(folder, DatasetInfoFileName);
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!doc.RootElement.TryGetProperty("families", out var families) || families.ValueKind != JsonValueKind.Array) return null;
            var chance = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var f in families.EnumerateArray())
                if (f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String
                    && f.TryGetProperty("chance", out var c) && c.ValueKind == JsonValueKind.Number)
                    chance[n.GetString()!] = c.GetDouble();
            return chance;
        }
        catch (JsonException e) { throw new MantisException($"{path}: not valid JSON ({e.Message})", e); }
    }
}
