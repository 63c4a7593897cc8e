using System.Globalization;
using System.Text.Json;

namespace MantisNative.Data.Synthetic;

/// <summary>One family as dataset_info.json describes it: evaluation needs its skill, answer set and chance.</summary>
public sealed record FamilyInfo(string Name, string Skill, IReadOnlyList<string> Answers, double Chance, int Train, int HeldOut);

/// <summary>
/// What a generated set's dataset_info.json says, read back; and "make it if it is missing" for the default
/// training run, which must not regenerate 50k images on every start nor clobber a folder it did not write.
/// </summary>
public sealed class SyntheticSetInfo
{
    public const string InfoFile = "dataset_info.json";
    public const string Name = "mantis-synthetic-skills";

    public required string Folder { get; init; }
    public required int GeneratorVersion { get; init; }
    public required ulong Seed { get; init; }
    public required int ImageSize { get; init; }
    public required int TrainExamples { get; init; }
    public required int HeldOutExamples { get; init; }
    public required IReadOnlyList<FamilyInfo> Families { get; init; }

    public string TrainFile => Path.Combine(Folder, "train.jsonl");
    public string HeldOutFile => Path.Combine(Folder, "heldout.jsonl");

    /// <summary>The info of a complete set in <paramref name="folder"/>, or null when there is none (missing or foreign files).</summary>
    public static SyntheticSetInfo? TryLoad(string folder)
    {
        var path = Path.Combine(folder, InfoFile);
        if (!File.Exists(path) || !File.Exists(Path.Combine(folder, "train.jsonl")) || !File.Exists(Path.Combine(folder, "heldout.jsonl")))
            return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object || !r.TryGetProperty("name", out var n) || n.GetString() != Name) return null;
            var splits = r.GetProperty("splits");
            return new SyntheticSetInfo
            {
                Folder = Path.GetFullPath(folder),
                GeneratorVersion = r.GetProperty("generator_version").GetInt32(),
                Seed = ulong.Parse(r.GetProperty("seed").GetString()!, CultureInfo.InvariantCulture),
                ImageSize = r.GetProperty("image_size").GetInt32(),
                TrainExamples = splits.GetProperty("train").GetProperty("examples").GetInt32(),
                HeldOutExamples = splits.GetProperty("heldout").GetProperty("examples").GetInt32(),
                Families = r.GetProperty("families").EnumerateArray().Select(f => new FamilyInfo(
                    f.GetProperty("name").GetString()!,
                    f.GetProperty("skill").GetString()!,
                    f.GetProperty("answers").EnumerateArray().Select(a => a.GetString()!).ToArray(),
                    f.GetProperty("chance").GetDouble(),
                    f.GetProperty("train").GetInt32(),
                    f.GetProperty("heldout").GetInt32())).ToArray(),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new MantisException($"synthetic set: '{path}' is damaged ({e.Message}); delete the folder or run mantis make-data --force");
        }
    }

    public bool Matches(SyntheticOptions o) =>
        GeneratorVersion == DatasetDescription.GeneratorVersion && Seed == o.Seed && ImageSize == o.ImageSize &&
        TrainExamples == o.Train && HeldOutExamples == o.HeldOut;

    /// <summary>
    /// Reuses the set in <paramref name="folder"/> when it was made with these options, regenerates it when it is a
    /// synthetic set made with others, generates it when the folder is missing or empty, and refuses to touch a
    /// folder that holds anything else.
    /// </summary>
    public static SyntheticSetInfo EnsureExists(string folder, SyntheticOptions options, Action<string>? progress = null)
    {
        var existing = TryLoad(folder);
        if (existing is not null && existing.Matches(options)) return existing;
        bool foreign = existing is null && Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any();
        if (foreign)
            throw new MantisException($"synthetic set: '{folder}' exists and is not a synthetic skills set; choose another folder or empty it");
        progress?.Invoke(existing is null ? $"making the synthetic skills set in {folder}" : $"remaking the synthetic skills set in {folder} (other options)");
        var force = new SyntheticOptions { Train = options.Train, HeldOut = options.HeldOut, Seed = options.Seed, ImageSize = options.ImageSize, Force = true };
        SyntheticDatasetWriter.Write(folder, force, progress);
        return TryLoad(folder) ?? throw new MantisException($"synthetic set: '{folder}' was written but cannot be read back");
    }
}
