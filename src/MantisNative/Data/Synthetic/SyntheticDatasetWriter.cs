using System.Diagnostics;
using System.Text;

namespace MantisNative.Data.Synthetic;

/// <summary>
/// Writes the synthetic skills set: images/{train,heldout}/NNNNNN_k.png, train.jsonl, heldout.jsonl,
/// dataset_info.json, README.md and preview.png. Everything goes to a temporary folder beside the target
/// first and is renamed into place at the end, so a crash never leaves a half-written set that looks complete.
/// Output bytes depend only on the options (per-example RNG streams; no timestamps), not on thread timing.
/// </summary>
public static class SyntheticDatasetWriter
{
    public static SyntheticSummary Write(string outDir, SyntheticOptions options, Action<string>? progress = null)
    {
        options.Validate();
        var target = Path.GetFullPath(outDir);
        if (File.Exists(target)) throw new MantisException($"make-data: --out '{outDir}' is a file, expected a folder");
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !options.Force)
            throw new MantisException($"make-data: output folder '{outDir}' is not empty (use --force to replace it)");
        var parent = Path.GetDirectoryName(target.TrimEnd(Path.DirectorySeparatorChar)) ?? ".";
        var tmp = Path.Combine(parent, "." + Path.GetFileName(target.TrimEnd(Path.DirectorySeparatorChar)) + ".tmp");
        try
        {
            Directory.CreateDirectory(parent);
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            Directory.CreateDirectory(tmp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MantisException($"make-data: cannot create the output folder next to '{outDir}': {e.Message}", e);
        }

        var sw = Stopwatch.StartNew();
        var previews = new IReadOnlyList<byte[]>[SkillFamilies.All.Count];
        var train = WriteSplit(tmp, SplitKind.Train, options.Train, options, progress, previews);
        var held = WriteSplit(tmp, SplitKind.HeldOut, options.HeldOut, options, progress, previews);

        DatasetDescription.Write(tmp, options, train, held);
        var rows = previews.Where(p => p is not null).ToList();
        if (rows.Count > 0) WriteAtomic(Path.Combine(tmp, "preview.png"), ContactSheet.Build(rows, options.ImageSize));

        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.Move(tmp, target);
        return new SyntheticSummary { OutputDir = target, Train = train, HeldOut = held, Seconds = sw.Elapsed.TotalSeconds };
    }

    public static string SplitName(SplitKind s) => s == SplitKind.Train ? "train" : "heldout";

    private static SplitSummary WriteSplit(string root, SplitKind split, int count, SyntheticOptions options, Action<string>? progress,
        IReadOnlyList<byte[]>?[] previews)
    {
        var name = SplitName(split);
        var imageDir = Path.Combine(root, "images", name);
        Directory.CreateDirectory(imageDir);
        int width = Math.Max(6, count.ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
        var lines = new string[count];
        var families = new string[count];
        var chance = new double[count];
        var imageCounts = new int[count];
        int done = 0;
        int step = Math.Max(1000, count / 10);
        var sw = Stopwatch.StartNew();
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var (ex, rng) = SkillFamilies.Generate(split, i, options.Seed, options.ImageSize);
            var stem = i.ToString("D" + width, System.Globalization.CultureInfo.InvariantCulture);
            var paths = new string[ex.Scenes.Count];
            var pngs = new byte[ex.Scenes.Count][];
            for (int k = 0; k < ex.Scenes.Count; k++)
            {
                pngs[k] = SceneRenderer.RenderPng(ex.Scenes[k], options.ImageSize, rng);
                paths[k] = $"images/{name}/{stem}_{k}.png";
                File.WriteAllBytes(Path.Combine(imageDir, $"{stem}_{k}.png"), pngs[k]);
            }
            lines[i] = ExampleJson.ToLine($"{name}-{stem}", paths, ex);
            families[i] = ex.Family;
            chance[i] = 1.0 / ex.Options.Count;
            imageCounts[i] = ex.Scenes.Count;
            // the first training example of each family goes on the preview sheet
            if (split == SplitKind.Train && i < previews.Length) previews[i] = pngs;
            int d = Interlocked.Increment(ref done);
            if (progress is not null && (d % step == 0 || d == count))
                progress($"{name}: {d}/{count} examples ({sw.Elapsed.TotalSeconds:F1} s)");
        });

        var sb = new StringBuilder();
        foreach (var l in lines) sb.Append(l).Append('\n');
        WriteAtomic(Path.Combine(root, name + ".jsonl"), new UTF8Encoding(false).GetBytes(sb.ToString()));

        var perFamily = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var chanceSum = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            perFamily[families[i]] = perFamily.GetValueOrDefault(families[i]) + 1;
            chanceSum[families[i]] = chanceSum.GetValueOrDefault(families[i]) + chance[i];
        }
        return new SplitSummary
        {
            Name = name,
            Examples = count,
            Images = imageCounts.Sum(),
            PerFamily = perFamily,
            ChancePerFamily = perFamily.ToDictionary(kv => kv.Key, kv => chanceSum[kv.Key] / kv.Value, StringComparer.Ordinal),
        };
    }

    /// <summary>Write to "name.tmp" and rename: a reader never sees a half-written file.</summary>
    internal static void WriteAtomic(string path, byte[] bytes)
    {
        var tmp = path + ".tmp";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }
}
