namespace MantisNative.Interop;

/// <summary>
/// MANTIS_DEVICE=emulated: the CUDA driver, NVRTC and cuBLASLt all resolve to libmantis_emu.so, the emulated GPU
/// built from kernels/emu (it runs the same kernels, driver and cuBLASLt calls on the CPU, for correctness only).
/// The library is looked for in MANTIS_EMU_LIB (a file or folder), beside the program, and in build/emu of the
/// source tree the program runs from (walking up from the program's folder and the working folder).
/// </summary>
public static class EmulatedDevice
{
    public const string SelectVariable = "MANTIS_DEVICE";
    public const string LibraryVariable = "MANTIS_EMU_LIB";
    public const string LibraryName = "libmantis_emu.so";

    /// <summary>True when MANTIS_DEVICE says "emulated" (case-insensitive); any other non-empty value is ignored here
    /// and reported by <see cref="SelectionError"/>.</summary>
    public static bool IsSelected(IProbeEnvironment env) =>
        string.Equals(env.GetEnvironmentVariable(SelectVariable)?.Trim(), "emulated", StringComparison.OrdinalIgnoreCase);

    /// <summary>A message when MANTIS_DEVICE holds something other than "emulated", else null.</summary>
    public static string? SelectionError(IProbeEnvironment env)
    {
        var v = env.GetEnvironmentVariable(SelectVariable);
        return string.IsNullOrWhiteSpace(v) || IsSelected(env) ? null : $"{SelectVariable}={v} is not understood (the only value is 'emulated'; unset it for a real GPU)";
    }

    public static IReadOnlyList<LibraryCandidate> Candidates(IProbeEnvironment env)
    {
        var list = new List<LibraryCandidate>();
        void Add(string p, string source) { if (env.FileExists(p) && list.All(c => c.PathOrName != p)) list.Add(new LibraryCandidate(p, source)); }
        var over = env.GetEnvironmentVariable(LibraryVariable);
        if (!string.IsNullOrWhiteSpace(over))
        {
            Add(over, LibraryVariable);
            Add(Path.Combine(over, LibraryName), LibraryVariable);
        }
        foreach (var start in new[] { env.ApplicationDirectory, env.GetEnvironmentVariable("PWD") })
        {
            if (string.IsNullOrEmpty(start)) continue;
            Add(Path.Combine(start, LibraryName), "program folder");
            for (var dir = start; !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir.TrimEnd('/')))
            {
                Add(Path.Combine(dir, "build", "emu", LibraryName), "source tree");
                if (dir == "/") break;
            }
        }
        return list;
    }

    public static string DescribeSearch(IProbeEnvironment env) =>
        $"{SelectVariable}=emulated, but {LibraryName} was not found ({LibraryVariable}, the program folder, build/emu of the source tree): " +
        "build it with `dotnet pwsh build.ps1 emu` (needs g++)";
}
