using MantisNative.Interop;

namespace MantisNative.Tests.Cuda;

/// <summary>An in-memory file system and environment for library discovery tests.</summary>
internal sealed class FakeProbeEnvironment : IProbeEnvironment
{
    private readonly HashSet<string> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirs = new(StringComparer.Ordinal) { "/" };
    public Dictionary<string, string> Env { get; } = new();
    public string? HomeDirectory { get; set; } = "/home/u";
    public bool IsWindows { get; set; }
    public string? ApplicationDirectory { get; set; }

    public FakeProbeEnvironment File(string path)
    {
        _files.Add(path);
        for (var d = Path.GetDirectoryName(path); !string.IsNullOrEmpty(d); d = Path.GetDirectoryName(d)) _dirs.Add(d);
        return this;
    }

    public string? GetEnvironmentVariable(string name) => Env.TryGetValue(name, out var v) ? v : null;
    public bool FileExists(string path) => _files.Contains(path);
    public bool DirectoryExists(string path) => _dirs.Contains(path.Length > 1 ? path.TrimEnd('/') : path);

    public IEnumerable<string> GetDirectories(string path)
    {
        var prefix = path.EndsWith('/') ? path : path + "/";
        return _dirs.Where(d => d.StartsWith(prefix, StringComparison.Ordinal) && d.Length > prefix.Length && !d[prefix.Length..].Contains('/'))
                    .OrderBy(d => d, StringComparer.Ordinal).ToList();
    }
}
