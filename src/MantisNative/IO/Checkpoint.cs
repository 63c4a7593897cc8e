namespace MantisNative.IO;

/// <summary>One way in to weights, whatever their layout: a .safetensors file, an index file, or a model folder.</summary>
public static class Checkpoint
{
    public const string SingleFileName = "model.safetensors";

    /// <summary>
    /// Opens <paramref name="path"/>: a <c>.safetensors</c> file; a <c>*.index.json</c>; or a folder holding
    /// <c>model.safetensors.index.json</c> (sharded) or <c>model.safetensors</c>.
    /// </summary>
    public static ITensorSource Open(string path)
    {
        if (Directory.Exists(path))
        {
            string index = Path.Combine(path, ShardIndex.FileName);
            if (File.Exists(index)) return ShardedCheckpoint.Open(index);
            string single = Path.Combine(path, SingleFileName);
            if (File.Exists(single)) return SafetensorsFile.Open(single);
            throw new MantisException($"{path}: folder holds neither {ShardIndex.FileName} nor {SingleFileName}");
        }
        if (File.Exists(path))
            return path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ShardedCheckpoint.Open(path) : SafetensorsFile.Open(path);
        throw new MantisException($"{path}: checkpoint not found (expected a .safetensors file, an index .json, or a model folder)");
    }

    /// <summary>Like <see cref="Open"/>, but lookups by legacy Llava names also find transformers>=4.52 names.</summary>
    public static LegacyNamedSource OpenWithLegacyNames(string path)
    {
        var inner = Open(path);
        try { return new LegacyNamedSource(inner); }
        catch { inner.Dispose(); throw; }
    }
}
