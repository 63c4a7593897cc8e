namespace MantisNative.IO;

/// <summary>
/// Writes a file under a temporary name in the same folder and renames it into place only once it is complete
/// and flushed, so a crash or an error never leaves a half-written checkpoint under the real name.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<FileStream> write)
    {
        string tmp = TempNameFor(path);
        WriteTemp(tmp, write);
        Commit(tmp, path);
    }

    /// <summary>A unique temporary name beside <paramref name="path"/>.</summary>
    public static string TempNameFor(string path)
    {
        string full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>Writes and flushes to disk <paramref name="tmp"/>; deletes it if writing fails.</summary>
    public static void WriteTemp(string tmp, Action<FileStream> write)
    {
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
        }
        catch (Exception e)
        {
            TryDelete(tmp);
            if (e is IOException or UnauthorizedAccessException)
                throw new MantisException($"{tmp}: cannot write: {e.Message}", e);
            throw;
        }
    }

    /// <summary>Renames a finished temporary file onto <paramref name="path"/> (replacing it).</summary>
    public static void Commit(string tmp, string path)
    {
        try { File.Move(tmp, path, overwrite: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(tmp);
            throw new MantisException($"{path}: cannot move the finished file into place: {e.Message}", e);
        }
    }

    public static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
