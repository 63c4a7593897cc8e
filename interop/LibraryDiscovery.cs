using System.Globalization;

namespace MantisNative.Interop;

/// <summary>One place a library may be loaded from, and why it is searched (for the "not found" message).</summary>
public readonly record struct LibraryCandidate(string PathOrName, string Source);

/// <summary>
/// The search order for a native library, as a pure function of the environment (so it is testable):
/// 1. the spec's environment variable (a file, or a folder holding one of its names);
/// 2. CUDA_PATH (lib64, targets/x86_64-linux/lib, bin, lib/x64);
/// 3. /usr/local/cuda, then /usr/local/cuda-X.Y newest first (lib64, targets/x86_64-linux/lib);
/// 4. the loader path (bare names: LD_LIBRARY_PATH, ldconfig cache, system folders);
/// 5. the nvidia/*/lib folders of Python wheels (pip's nvidia-cuda-nvrtc-cu12, nvidia-cublas-cu12, ...).
/// MANTIS_DEVICE=emulated replaces all of this for all three libraries by the emulated device (<see cref="EmulatedDevice"/>).
/// Folders only yield names that exist; names are tried newest CUDA major first within each place.
/// </summary>
public static class LibraryDiscovery
{
    /// <summary>Where pip puts packages, system-wide and per user; '*' matches one path segment.</summary>
    private static readonly string[] PythonSitePatterns =
    {
        "/usr/lib/python3*/dist-packages",
        "/usr/lib/python3*/site-packages",
        "/usr/local/lib/python3*/dist-packages",
        "/usr/local/lib/python3*/site-packages",
        "/opt/conda/lib/python3*/site-packages",
    };

    public static IReadOnlyList<LibraryCandidate> Candidates(NativeLibrarySpec spec, IProbeEnvironment env)
    {
        if (EmulatedDevice.IsSelected(env)) return EmulatedDevice.Candidates(env);
        if (EmulatedDevice.SelectionError(env) is not null) return Array.Empty<LibraryCandidate>();
        var names = spec.NamesFor(env);
        var list = new List<LibraryCandidate>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string p, string source) { if (seen.Add(p)) list.Add(new LibraryCandidate(p, source)); }
        void AddFolder(string dir, string source)
        {
            foreach (var n in names)
            {
                var p = Path.Combine(dir, n);
                if (env.FileExists(p)) Add(p, source);
            }
        }

        var over = env.GetEnvironmentVariable(spec.EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(over))
        {
            if (env.FileExists(over)) Add(over, spec.EnvironmentVariable);
            else if (env.DirectoryExists(over)) AddFolder(over, spec.EnvironmentVariable);
        }

        if (spec.SearchToolkitFolders)
        {
            var cudaPath = env.GetEnvironmentVariable("CUDA_PATH");
            if (!string.IsNullOrWhiteSpace(cudaPath))
                foreach (var sub in ToolkitLibFolders(env)) AddFolder(Path.Combine(cudaPath, sub), "CUDA_PATH");
            if (!env.IsWindows)
            {
                var roots = new List<string> { "/usr/local/cuda" };
                roots.AddRange(SortNewestFirst(env.GetDirectories("/usr/local")
                    .Where(d => Path.GetFileName(d).StartsWith("cuda-", StringComparison.Ordinal))));
                foreach (var root in roots)
                    foreach (var sub in ToolkitLibFolders(env)) AddFolder(Path.Combine(root, sub), root);
            }
        }

        foreach (var n in names) Add(n, "loader path");

        if (spec.SearchToolkitFolders && !env.IsWindows)
            foreach (var site in PythonSiteFolders(env))
                foreach (var dir in SortNewestFirst(ExpandPattern(Path.Combine(site, "nvidia/*/lib"), env)))
                    AddFolder(dir, "python wheel");
        return list;
    }

    private static string[] ToolkitLibFolders(IProbeEnvironment env) =>
        env.IsWindows ? new[] { "bin", "bin/x64", "lib/x64" } : new[] { "lib64", "targets/x86_64-linux/lib", "lib" };

    /// <summary>The site-packages folders that exist: system-wide, the user's, an active virtualenv or conda env.</summary>
    public static IEnumerable<string> PythonSiteFolders(IProbeEnvironment env)
    {
        var patterns = new List<string>(PythonSitePatterns);
        var home = env.HomeDirectory;
        if (!string.IsNullOrEmpty(home)) patterns.Add(Path.Combine(home, ".local/lib/python3*/site-packages"));
        foreach (var v in new[] { "VIRTUAL_ENV", "CONDA_PREFIX" })
        {
            var root = env.GetEnvironmentVariable(v);
            if (!string.IsNullOrWhiteSpace(root)) patterns.Add(Path.Combine(root, "lib/python3*/site-packages"));
        }
        return patterns.SelectMany(p => SortNewestFirst(ExpandPattern(p, env)));
    }

    /// <summary>Expands '*' inside path segments (one segment each) against the folders that exist.</summary>
    public static IEnumerable<string> ExpandPattern(string pattern, IProbeEnvironment env)
    {
        var rooted = pattern.StartsWith('/');
        var segments = pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);
        IEnumerable<string> current = new[] { rooted ? "/" : "" };
        foreach (var seg in segments)
        {
            if (seg.Contains('*'))
                current = current.SelectMany(dir => env.GetDirectories(dir.Length == 0 ? "." : dir)
                    .Where(d => WildcardMatch(seg, Path.GetFileName(d))).ToList()).ToList();
            else
                current = current.Select(dir => dir.Length == 0 ? seg : Path.Combine(dir, seg))
                    .Where(env.DirectoryExists).ToList();
        }
        return current;
    }

    /// <summary>'*' matches any run of characters; everything else literally.</summary>
    public static bool WildcardMatch(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] != '*' && pattern[p] == text[t]) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    /// <summary>Orders paths by the numbers in their last segment, highest first (cuda-13.0 before cuda-12.4,
    /// python3.12 before python3.9), so the newest install wins.</summary>
    public static IEnumerable<string> SortNewestFirst(IEnumerable<string> paths) =>
        paths.OrderByDescending(p => VersionKey(Path.GetFileName(p.TrimEnd('/'))), VersionComparer.Instance)
             .ThenBy(p => p, StringComparer.Ordinal);

    private static int[] VersionKey(string name)
    {
        var nums = new List<int>();
        var cur = -1;
        foreach (var c in name)
        {
            if (char.IsAsciiDigit(c)) cur = (cur < 0 ? 0 : cur * 10) + (c - '0');
            else if (cur >= 0) { nums.Add(cur); cur = -1; }
        }
        if (cur >= 0) nums.Add(cur);
        return nums.ToArray();
    }

    private sealed class VersionComparer : IComparer<int[]>
    {
        public static readonly VersionComparer Instance = new();
        public int Compare(int[]? a, int[]? b)
        {
            a ??= Array.Empty<int>(); b ??= Array.Empty<int>();
            for (int i = 0; i < Math.Min(a.Length, b.Length); i++)
                if (a[i] != b[i]) return a[i].CompareTo(b[i]);
            return a.Length.CompareTo(b.Length);
        }
    }

    /// <summary>A readable list of the places searched, for "not found" messages.</summary>
    public static string DescribeSearch(NativeLibrarySpec spec, IProbeEnvironment env)
    {
        if (EmulatedDevice.IsSelected(env)) return EmulatedDevice.DescribeSearch(env);
        if (EmulatedDevice.SelectionError(env) is { } bad) return bad;
        var over = env.GetEnvironmentVariable(spec.EnvironmentVariable);
        var parts = new List<string>
        {
            string.IsNullOrWhiteSpace(over)
                ? $"{spec.EnvironmentVariable} (unset)"
                : string.Create(CultureInfo.InvariantCulture, $"{spec.EnvironmentVariable}={over}"),
        };
        if (spec.SearchToolkitFolders) parts.Add("CUDA_PATH, /usr/local/cuda*");
        parts.Add("the loader path");
        if (spec.SearchToolkitFolders) parts.Add("python nvidia/*/lib wheels");
        return $"looked for {string.Join(", ", spec.NamesFor(env))} in {string.Join("; ", parts)}";
    }
}
