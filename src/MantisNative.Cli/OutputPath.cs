namespace MantisNative.Cli;

/// <summary>Checks an output location before long work starts, so a bad path fails in one line at once.</summary>
public static class OutputPath
{
    public static void EnsureWritable(string file)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".";
        try
        {
            Directory.CreateDirectory(dir);
            string probe = Path.Combine(dir, $".mantis-write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MantisException($"cannot write to {dir}: {e.Message}");
        }
    }
}
