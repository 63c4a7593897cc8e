using MantisNative.Models.Config;

namespace MantisNative.IO;

/// <summary>
/// config.json on disk for <see cref="LlavaConfig"/>: the config itself parses and writes JSON only (Models know
/// nothing of files); reading, the not-found message and the atomic write live here.
/// </summary>
public static class LlavaConfigFile
{
    /// <summary>Reads <paramref name="path"/> (a config.json, or a folder holding one).</summary>
    public static LlavaConfig Load(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, LlavaConfig.FileName);
        if (!File.Exists(path)) throw new MantisException($"{path}: config file not found");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MantisException($"{path}: cannot read config: {e.Message}", e);
        }
        return LlavaConfig.Parse(bytes, path);
    }

    /// <summary>Writes config.json (atomically) in a form transformers loads as LlavaForConditionalGeneration.</summary>
    public static void Save(this LlavaConfig config, string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, LlavaConfig.FileName);
        AtomicFile.Write(path, config.WriteTo);
    }
}
