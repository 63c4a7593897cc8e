using System.Reflection;
using System.Runtime.InteropServices;

namespace MantisNative.Interop;

/// <summary>The outcome of looking for one native library: the handle (zero when not found) and what was tried.</summary>
public sealed record LibraryLoadResult(NativeLibrarySpec Spec, nint Handle, string? LoadedFrom, string? Error, IReadOnlyList<string> Tried)
{
    public bool Found => Handle != 0;

    /// <summary>"found (path)" or "X not found: looked for ..." — one line for `mantis info` and error messages.</summary>
    public string Describe() => Found ? $"found ({LoadedFrom})" : Error ?? "not found";
}

/// <summary>
/// Maps the logical library names of the P/Invoke declarations ("mantis-cuda", "mantis-nvrtc", "mantis-cublaslt")
/// to real files through <see cref="NativeLibrary.SetDllImportResolver"/>. Each library is searched once per
/// process; a library that is not found makes its calls throw <see cref="DllNotFoundException"/>, which the
/// availability checks (<see cref="CudaDriver.IsAvailable"/> and friends) turn into a message, never a crash.
/// </summary>
public static class NativeLibraries
{
    private static readonly object Gate = new();
    private static bool _registered;
    private static readonly Dictionary<string, LibraryLoadResult> Loaded = new(StringComparer.Ordinal);

    /// <summary>Installs the resolver; called from the static constructors of the API classes, so before any call.</summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered) return;
            _registered = true;
            try { NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve); }
            catch (InvalidOperationException) { /* already set for this assembly: nothing to do */ }
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        var spec = NativeLibrarySpec.All.FirstOrDefault(s => s.LogicalName == name);
        return spec is null ? 0 : Load(spec).Handle;
    }

    /// <summary>Finds and loads <paramref name="spec"/> once per process (the handle is kept for the process' life).</summary>
    public static LibraryLoadResult Load(NativeLibrarySpec spec)
    {
        lock (Gate)
        {
            if (Loaded.TryGetValue(spec.LogicalName, out var r)) return r;
            r = Probe(spec, SystemProbeEnvironment.Instance, TryLoadReal);
            Loaded[spec.LogicalName] = r;
            return r;
        }
    }

    private static nint TryLoadReal(string pathOrName) => NativeLibrary.TryLoad(pathOrName, out var h) ? h : 0;

    /// <summary>Tries the candidates in order with <paramref name="tryLoad"/> (zero = failed); testable with fakes.</summary>
    public static LibraryLoadResult Probe(NativeLibrarySpec spec, IProbeEnvironment env, Func<string, nint> tryLoad)
    {
        var tried = new List<string>();
        foreach (var c in LibraryDiscovery.Candidates(spec, env))
        {
            tried.Add(c.PathOrName);
            nint h;
            try { h = tryLoad(c.PathOrName); }
            catch (Exception e) when (e is BadImageFormatException or DllNotFoundException or IOException) { h = 0; }
            if (h != 0) return new LibraryLoadResult(spec, h, c.PathOrName, null, tried);
        }
        return new LibraryLoadResult(spec, 0, null, $"{spec.DisplayName} not found: {LibraryDiscovery.DescribeSearch(spec, env)}", tried);
    }
}
