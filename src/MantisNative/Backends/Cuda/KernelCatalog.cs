namespace MantisNative.Backends.Cuda;

/// <summary>One kernel source file: its name is the file stem ("rmsnorm" for kernels/rmsnorm.cu).</summary>
internal sealed record KernelSource(string Name, string Path, string Text);

/// <summary>A header the sources include by name (common.cuh), handed to NVRTC as an in-memory header.</summary>
internal sealed record KernelHeader(string IncludeName, string Text);

/// <summary>
/// The kernels/ folder: every *.cu source and every *.cuh header. Found through MANTIS_KERNELS_DIR, next to
/// the program (publish-device copies kernels/ there), or by walking up from the program's folder and the
/// working directory (a source checkout).
/// </summary>
internal sealed class KernelCatalog
{
    public const string EnvironmentVariable = "MANTIS_KERNELS_DIR";

    public string Directory { get; }
    public IReadOnlyList<KernelSource> Sources { get; }
    public IReadOnlyList<KernelHeader> Headers { get; }

    public KernelCatalog(string directory, IReadOnlyList<KernelSource> sources, IReadOnlyList<KernelHeader> headers)
    {
        Directory = directory;
        Sources = sources;
        Headers = headers;
    }

    public static KernelCatalog Load(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
            throw new MantisException($"kernel folder {directory} does not exist");
        var sources = System.IO.Directory.GetFiles(directory, "*.cu")
            .OrderBy(p => p, StringComparer.Ordinal)
            .Select(p => new KernelSource(System.IO.Path.GetFileNameWithoutExtension(p), p, File.ReadAllText(p)))
            .ToList();
        var headers = System.IO.Directory.GetFiles(directory, "*.cuh")
            .OrderBy(p => p, StringComparer.Ordinal)
            .Select(p => new KernelHeader(System.IO.Path.GetFileName(p), File.ReadAllText(p)))
            .ToList();
        if (sources.Count == 0) throw new MantisException($"kernel folder {directory} holds no .cu sources");
        return new KernelCatalog(directory, sources, headers);
    }

    /// <summary>Loads the folder <see cref="FindDirectory"/> finds, or throws naming the places tried.</summary>
    public static KernelCatalog LoadDefault() =>
        Load(FindDirectory() ?? throw new MantisException(
            $"kernel sources not found: set {EnvironmentVariable}, or keep kernels/ next to the program or in a parent folder of it"));

    public static string? FindDirectory()
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return System.IO.Directory.Exists(env) ? env : null;
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = System.IO.Path.Combine(dir.FullName, "kernels");
                if (File.Exists(System.IO.Path.Combine(candidate, "common.cuh"))) return candidate;
            }
        }
        return null;
    }

    public KernelSource Get(string name) =>
        Sources.FirstOrDefault(s => s.Name == name)
        ?? throw new MantisException($"kernel source '{name}.cu' not found in {Directory}");
}
