using System.Runtime.InteropServices;
using System.Text;
using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>NVRTC behind <see cref="IKernelCompiler"/>: headers are passed in memory, nothing touches the disk.</summary>
internal sealed unsafe class NvrtcKernelCompiler : IKernelCompiler
{
    private static int _builtinsPreloaded;

    public NvrtcKernelCompiler()
    {
        Nvrtc.EnsureAvailable();
        PreloadBuiltins();
        Identity = $"nvrtc {Nvrtc.Version} ({LibraryStamp(Nvrtc.Library.LoadedFrom)})";
    }

    public string Identity { get; }

    /// <summary>The library's file name, size and time: part of the cache key, so a different or rebuilt compiler
    /// library at the same version (the emulated device's NVRTC reports 12.4 but builds host code) recompiles.</summary>
    private static string LibraryStamp(string? path)
    {
        if (path is null) return "?";
        try
        {
            var f = new FileInfo(path);
            if (f.Exists) return $"{f.Name}, {f.Length} bytes, {f.LastWriteTimeUtc:yyyyMMddHHmmss}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return Path.GetFileName(path);
    }

    /// <summary>
    /// NVRTC dlopens libnvrtc-builtins.so.X.Y by bare name at compile time, which fails when libnvrtc itself was
    /// loaded from a folder outside the loader path (the CI cache folder, MANTIS_NVRTC_PATH). Loading the
    /// builtins from the same folder first makes that dlopen find the already-loaded library by its soname.
    /// </summary>
    private static void PreloadBuiltins()
    {
        if (Interlocked.Exchange(ref _builtinsPreloaded, 1) == 1) return;
        var from = Nvrtc.Library.LoadedFrom;
        if (from is null || !Path.IsPathRooted(from)) return;
        var dir = Path.GetDirectoryName(from);
        if (dir is null || !Directory.Exists(dir)) return;
        foreach (var f in Directory.GetFiles(dir, OperatingSystem.IsWindows() ? "nvrtc-builtins*.dll" : "libnvrtc-builtins.so*")
                     .OrderByDescending(f => f.Length))
            if (NativeLibrary.TryLoad(f, out _)) return;
    }

    public KernelCompileOutput Compile(string name, string source, IReadOnlyList<KernelHeader> headers, IReadOnlyList<string> options, bool cubin)
    {
        var strings = new List<nint>();
        nint Utf8(string s)
        {
            var p = Marshal.StringToCoTaskMemUTF8(s);
            strings.Add(p);
            return p;
        }
        nint program = 0;
        try
        {
            var headerTexts = headers.Select(h => Utf8(h.Text)).ToArray();
            var headerNames = headers.Select(h => Utf8(h.IncludeName)).ToArray();
            var opts = options.Select(Utf8).ToArray();
            fixed (nint* ht = headerTexts, hn = headerNames, op = opts)
            {
                Nvrtc.Check(NvrtcApi.nvrtcCreateProgram(out program, (byte*)Utf8(source), (byte*)Utf8(name + ".cu"),
                    headers.Count, (byte**)ht, (byte**)hn), "nvrtcCreateProgram");
                var r = NvrtcApi.nvrtcCompileProgram(program, opts.Length, (byte**)op);
                var log = ReadLog(program);
                if (r == NvrtcResult.Compilation) return new KernelCompileOutput(false, Array.Empty<byte>(), log);
                Nvrtc.Check(r, "nvrtcCompileProgram");
                return new KernelCompileOutput(true, cubin ? ReadCubin(program) : ReadPtx(program), log);
            }
        }
        finally
        {
            if (program != 0) NvrtcApi.nvrtcDestroyProgram(ref program);
            foreach (var p in strings) Marshal.FreeCoTaskMem(p);
        }
    }

    private static string ReadLog(nint program)
    {
        Nvrtc.Check(NvrtcApi.nvrtcGetProgramLogSize(program, out var n), "nvrtcGetProgramLogSize");
        if (n <= 1) return "";
        var buf = new byte[n];
        fixed (byte* b = buf) Nvrtc.Check(NvrtcApi.nvrtcGetProgramLog(program, b), "nvrtcGetProgramLog");
        return Encoding.UTF8.GetString(buf, 0, (int)n - 1);
    }

    /// <summary>The PTX text including its terminating NUL (cuModuleLoadDataEx needs it).</summary>
    private static byte[] ReadPtx(nint program)
    {
        Nvrtc.Check(NvrtcApi.nvrtcGetPTXSize(program, out var n), "nvrtcGetPTXSize");
        var buf = new byte[n];
        fixed (byte* b = buf) Nvrtc.Check(NvrtcApi.nvrtcGetPTX(program, b), "nvrtcGetPTX");
        return buf;
    }

    private static byte[] ReadCubin(nint program)
    {
        Nvrtc.Check(NvrtcApi.nvrtcGetCUBINSize(program, out var n), "nvrtcGetCUBINSize");
        var buf = new byte[n];
        fixed (byte* b = buf) Nvrtc.Check(NvrtcApi.nvrtcGetCUBIN(program, b), "nvrtcGetCUBIN");
        return buf;
    }
}
