namespace MantisNative.IO;

/// <summary>
/// The parts every tool that writes a model folder derived from another one shares (merge, quantize): checking the
/// output folder before any work, saving with as many shards as the input had, copying the side files.
/// </summary>
public static class DerivedModelFolder
{
    /// <summary>The output must be a new folder, or an empty one, or <paramref name="overwrite"/> must be set.</summary>
    public static void CheckOutput(string outputFolder, bool overwrite, params string[] inputs)
    {
        string outFull = Path.GetFullPath(outputFolder);
        foreach (var input in inputs)
            if (outFull == Path.GetFullPath(input))
                throw new MantisException($"{outputFolder}: the output folder must differ from the input folder(s)");
        if (File.Exists(outputFolder)) throw new MantisException($"{outputFolder}: is a file, not a folder");
        if (Directory.Exists(outputFolder) && Directory.EnumerateFileSystemEntries(outputFolder).Any() && !overwrite)
            throw new MantisException($"{outputFolder}: is not empty (use --force to write into it)");
    }

    /// <summary>
    /// Writes <paramref name="writer"/>'s tensors into <paramref name="outputFolder"/> as one model.safetensors, or as
    /// many shards as <paramref name="input"/> had; returns the number of weight files.
    /// </summary>
    /// <param name="sizes">every tensor's name and byte size (the split is planned from them)</param>
    public static int SaveLike(LegacyNamedSource input, SafetensorsWriter writer, IEnumerable<(string Name, long Bytes)> sizes, string outputFolder)
    {
        try { Directory.CreateDirectory(outputFolder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new MantisException($"{outputFolder}: cannot create the output folder: {e.Message}"); }
        int shards = input.Inner is ShardedCheckpoint sc ? sc.Index.ShardFiles.Count : 1;
        if (shards == 1)
        {
            writer.Save(Path.Combine(outputFolder, Checkpoint.SingleFileName));
            return 1;
        }
        long max = ShardPlan.MaxShardBytesFor(sizes.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => s.Bytes), shards);
        return writer.SaveSharded(outputFolder, max).Count(p => p.EndsWith(".safetensors", StringComparison.Ordinal));
    }

    /// <summary>config.json, tokenizer, processor and generation files: every top-level file except the weights.</summary>
    public static void CopySideFiles(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from))
        {
            string name = Path.GetFileName(file);
            if (name.EndsWith(".safetensors", StringComparison.Ordinal) || name == ShardIndex.FileName || name.StartsWith('.')) continue;
            File.Copy(file, Path.Combine(to, name), overwrite: true);
        }
    }
}
