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
        var bytes = InputFile.ReadAllBytes(path, "config");
        return LlavaConfig.Parse(bytes, path);
    }

    /// <summary>Writes config.json (atomically) in a form transformers loads as LlavaForConditionalGeneration.</summary>
    public static void Save(this LlavaConfig config, string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, LlavaConfig.FileName);
        AtomicFile.Write(path, config.WriteTo);
    }
}
