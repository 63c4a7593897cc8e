using System.Text.Encodings.Web;
using System.Text.Json;

namespace MantisNative.IO;

/// <summary>
/// The Hugging Face <c>model.safetensors.index.json</c>: <c>{"metadata": {"total_size": N}, "weight_map": {tensor: shard file}}</c>.
/// </summary>
public sealed class ShardIndex
{
    public const string FileName = "model.safetensors.index.json";

    public ShardIndex(IReadOnlyDictionary<string, string> weightMap, long? totalSize)
    {
        WeightMap = weightMap;
        TotalSize = totalSize;
    }

    /// <summary>Tensor name to shard file name (relative to the index's folder).</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary><c>metadata.total_size</c>: the sum of the tensors' byte sizes, when the index gives it.</summary>
    public long? TotalSize { get; }

    /// <summary>Shard file names in first-use order, each once.</summary>
    public IReadOnlyList<string> ShardFiles => WeightMap.Values.Distinct(StringComparer.Ordinal).ToList();

    public static ShardIndex Load(string path)
    {
        return Parse(InputFile.ReadAllBytes(path, "checkpoint index"), path);
    }

    public static ShardIndex Parse(ReadOnlySpan<byte> json, string path)
    {
        Utf8Input.EnsureValid(json, path, "checkpoint index");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(WithoutBom(json).ToArray()); }
        catch (JsonException e) { throw new MantisException($"{path}: checkpoint index is not valid JSON: {e.Message}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new MantisException($"{path}: checkpoint index must be a JSON object");
            if (!root.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                throw new MantisException($"{path}: checkpoint index has no 'weight_map' object");
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in wm.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String)
                    throw new MantisException($"{path}: weight_map entry '{p.Name}' must be a shard file name, got {p.Value.ValueKind}");
                string shard = p.Value.GetString()!;
                CheckShardName(shard, p.Name, path);
                if (!map.TryAdd(p.Name, shard))
                    throw new MantisException($"{path}: weight_map lists tensor '{p.Name}' twice");
            }
            long? total = null;
            if (root.TryGetProperty("metadata", out var md) && md.ValueKind == JsonValueKind.Object
                && md.TryGetProperty("total_size", out var ts) && ts.ValueKind == JsonValueKind.Number)
            {
                // Some writers store total_size as a float; it is informational, so only take it when integral.
                if (ts.TryGetInt64(out long t)) total = t;
                else if (ts.TryGetDouble(out double d) && d >= 0 && d == Math.Floor(d) && d < 9e18) total = (long)d;
            }
            return new ShardIndex(map, total);
        }
    }

    /// <summary>Shards live beside the index: an absolute path or ".." could point anywhere on the disk.</summary>
    private static void CheckShardName(string shard, string tensor, string path)
    {
        if (shard.Length == 0 || System.IO.Path.IsPathRooted(shard)
            || shard.Split('/', '\\').Any(part => part == ".." || part.Length == 0))
            throw new MantisException($"{path}: weight_map maps tensor '{tensor}' to '{shard}', which is not a file name inside the checkpoint folder");
    }

    /// <summary>Writes the index in the Hugging Face layout (names sorted) to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteStartObject("metadata");
        if (TotalSize is long t) w.WriteNumber("total_size", t);
        w.WriteEndObject();
        w.WriteStartObject("weight_map");
        foreach (var kv in WeightMap.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(kv.Key, kv.Value);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Editors on Windows may start a JSON file with a UTF-8 byte order mark; JSON itself has none.</summary>
    private static ReadOnlySpan<byte> WithoutBom(ReadOnlySpan<byte> json) =>
        json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? json[3..] : json;
}
