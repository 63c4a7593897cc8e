namespace MantisNative.Interop;

/// <summary>
/// What library discovery reads from the machine: environment variables, files and folders. An interface so
/// tests can check the search order with a fake file system instead of the real one.
/// </summary>
public interface IProbeEnvironment
{
    string? GetEnvironmentVariable(string name);
    bool FileExists(string path);
    bool DirectoryExists(string path);
    /// <summary>Full paths of the immediate subfolders of <paramref name="path"/> (empty when it does not exist).</summary>
    IEnumerable<string> GetDirectories(string path);
    string? HomeDirectory { get; }
    bool IsWindows { get; }
    /// <summary>The folder of the running program (where a published `mantis` keeps its native libraries).</summary>
    string? ApplicationDirectory => null;
}

/// <summary>The real machine.</summary>
public sealed class SystemProbeEnvironment : IProbeEnvironment
{
    public static readonly SystemProbeEnvironment Instance = new();

    public string? GetEnvironmentVariable(string name) => Environment.GetEnvironmentVariable(name);
    public bool FileExists(string path) => File.Exists(path);
    public bool DirectoryExists(string path) => Directory.Exists(path);

    public IEnumerable<string> GetDirectories(string path)
    {
        try { return Directory.Exists(path) ? Directory.GetDirectories(path) : Array.Empty<string>(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return Array.Empty<string>(); }
    }

    public string? HomeDirectory
    {
        get
        {
            var h = Environment.GetEnvironmentVariable("HOME");
            if (!string.IsNullOrEmpty(h)) return h;
            var p = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return string.IsNullOrEmpty(p) ? null : p;
        }
    }

    public bool IsWindows => OperatingSystem.IsWindows();

    public string? ApplicationDirectory => AppContext.BaseDirectory;
}
