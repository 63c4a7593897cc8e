using System.Collections;
using MantisNative.Data.Images;
using MantisNative.Data.Records;
using Parquet;
using Parquet.Serialization;

namespace MantisNative.Evaluation.Benchmarks;

/// <summary>File access shared by the benchmark readers: finding split files, parquet rows, typed cells, images.</summary>
public static class BenchmarkFiles
{
    /// <summary>The data folder itself, checked to exist.</summary>
    public static void RequireFolder(string dataDir, string benchmark)
    {
        if (!Directory.Exists(dataDir))
            throw new MantisException(File.Exists(dataDir) ? $"{dataDir}: {benchmark} needs its data folder, this is a file" : $"{dataDir}: no such {benchmark} data folder");
    }

    /// <summary>
    /// The parquet files of a split under <paramref name="folder"/> as Hugging Face publishes them
    /// (&lt;split&gt;-00000-of-00001.parquet or &lt;split&gt;.parquet, at any depth), sorted; none is an error showing the layout.
    /// </summary>
    public static List<string> SplitParquet(string folder, string split, string layoutHint)
    {
        var files = Directory.EnumerateFiles(folder, "*.parquet", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) is var n && (n.StartsWith(split + "-", StringComparison.Ordinal) || n == split + ".parquet"))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new MantisException($"{folder}: no {split}-*.parquet file (expected {layoutHint})");
        return files;
    }

    /// <summary>Every row of a parquet file; a missing required column is one message naming the file and the column.</summary>
    public static List<Dictionary<string, object>> ParquetRows(string file, params string[] required)
    {
        try
        {
            HashSet<string> columns;
            int groups;
            using (var fs = File.OpenRead(file))
            {
                var reader = ParquetReader.CreateAsync(fs).GetAwaiter().GetResult();
                columns = reader.Schema.Fields.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
                groups = reader.RowGroupCount;
                reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            foreach (var c in required)
                if (!columns.Contains(c))
                    throw new MantisException($"{file}: no column '{c}' (columns: {string.Join(", ", columns.Order(StringComparer.Ordinal))})");
            var rows = new List<Dictionary<string, object>>();
            for (int g = 0; g < groups; g++)
            {
                using var again = File.OpenRead(file);
                rows.AddRange(ParquetSerializer.DeserializeUntypedAsync(again, null, g).GetAwaiter().GetResult().Data);
            }
            return rows;
        }
        catch (Exception e) when (e is not MantisException and not OutOfMemoryException)
        {
            throw new MantisException($"{file}: not a readable parquet file: {e.Message}", e);
        }
    }

    public static string? OptString(Dictionary<string, object> row, string column) =>
        row.TryGetValue(column, out var v) && v is not null ? ParquetValues.AsString(v) ?? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : null;

    public static string String(Dictionary<string, object> row, string column, string where) =>
        OptString(row, column) ?? throw new MantisException($"{where}: column '{column}' is empty");

    public static List<string> StringList(Dictionary<string, object> row, string column, string where)
    {
        if (!row.TryGetValue(column, out var v) || v is null) throw new MantisException($"{where}: column '{column}' is empty");
        if (ParquetValues.AsString(v) is { } single) return new List<string> { single };
        if (v is not IEnumerable list) throw new MantisException($"{where}: column '{column}' is not a list of strings");
        var items = new List<string>();
        foreach (var o in list) items.Add(o is null ? "" : ParquetValues.AsString(o) ?? o.ToString() ?? "");
        return items;
    }

    /// <summary>One image cell: a {bytes, path} struct, raw bytes, or a path (resolved against <paramref name="baseDir"/>); null for an empty cell.</summary>
    public static ImageSource? Image(object? cell, string baseDir, string where)
    {
        if (cell is null) return null;
        if (ParquetValues.AsString(cell) is { } path) return ImageSource.FromFile(Path.Combine(baseDir, path), path);
        if (ParquetValues.AsBytes(cell) is { } raw) return ImageSource.FromBytes(raw);
        if (cell is IDictionary<string, object> d)
        {
            var name = d.TryGetValue("path", out var p) && p is not null ? ParquetValues.AsString(p) : null;
            if (d.TryGetValue("bytes", out var b) && b is not null && ParquetValues.AsBytes(b) is { } bytes) return ImageSource.FromBytes(bytes, name);
            if (name is not null) return ImageSource.FromFile(Path.Combine(baseDir, name), name);
            return null;
        }
        throw new MantisException($"{where}: an image cell is a {cell.GetType().Name}, expected {{bytes, path}}");
    }

    /// <summary>A list-of-images cell.</summary>
    public static List<ImageSource> Images(Dictionary<string, object> row, string column, string baseDir, string where)
    {
        if (!row.TryGetValue(column, out var v) || v is null) throw new MantisException($"{where}: column '{column}' is empty");
        if (v is IDictionary<string, object> || ParquetValues.AsString(v) is not null || ParquetValues.AsBytes(v) is not null)
            return Image(v, baseDir, where) is { } one ? new List<ImageSource> { one } : new List<ImageSource>();
        if (v is not IEnumerable list) throw new MantisException($"{where}: column '{column}' is not a list of images");
        var images = new List<ImageSource>();
        int i = 0;
        foreach (var o in list)
            images.Add(Image(o, baseDir, $"{where} {column}[{i++}]") ?? throw new MantisException($"{where}: {column}[{i - 1}] is empty"));
        return images;
    }

    /// <summary>Decodes record images (files or embedded bytes) when asked; errors name the image.</summary>
    public static Func<IReadOnlyList<RgbImage>> Loader(IReadOnlyList<ImageSource> images) => () => images.Select(Decode).ToList();

    public static RgbImage Decode(ImageSource s) =>
        s.IsEmbedded ? ImageDecoder.Decode(s.Bytes!.Value.Span, s.ToString()) : ImageDecoder.DecodeFile(s.FilePath!);
}
