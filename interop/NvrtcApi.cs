using System.Runtime.InteropServices;

namespace MantisNative.Interop;

/// <summary>nvrtcResult.</summary>
public enum NvrtcResult
{
    Success = 0,
    OutOfMemory = 1,
    ProgramCreationFailure = 2,
    InvalidInput = 3,
    InvalidProgram = 4,
    InvalidOption = 5,
    Compilation = 6,
    BuiltinOperationFailure = 7,
    NoNameExpressionsAfterCompilation = 8,
    NoLoweredNamesBeforeCompilation = 9,
    NameExpressionNotValid = 10,
    InternalError = 11,
}

/// <summary>Raw NVRTC declarations (nvrtc.h). Strings are passed as NUL-terminated UTF-8 byte pointers.</summary>
public static unsafe partial class NvrtcApi
{
    private const string Lib = "mantis-nvrtc";

    static NvrtcApi() => NativeLibraries.EnsureRegistered();

    [LibraryImport(Lib)] public static partial nint nvrtcGetErrorString(NvrtcResult result);
    [LibraryImport(Lib)] public static partial NvrtcResult nvrtcVersion(out int major, out int minor);
    /// <summary>Since NVRTC 11.2; older versions lack the symbol (EntryPointNotFoundException).</summary>
    [LibraryImport(Lib)] public static partial NvrtcResult nvrtcGetNumSupportedArchs(out int count);
    [LibraryImport(Lib)] public static partial NvrtcResult nvrtcGetSupportedArchs(int* archs);
    [LibraryImport(Lib)] public static partial NvrtcResult nvrtcCreateProgram(out nint program, byte* source, byte* name,
        int numHeaders, byte** headers, byte** includeNames);
    [LibraryImport(Lib)] public static partial NvrtcResult nvrtcDestroyProgram(ref nint program);
    [LibraryImport(Lib)] public static partial NvrtcResult nvrtcCompileProgram(nint program, int numOptions, byte** options);
    [LibraryImport(Lib)] public static partial NvrtcResult nvrtcGetPTXSize(nint program, out nuint size);
    [LibraryImport(Lib)] public static partial NvrtcResult nvrtcGetPTX(nint program, byte* ptx);
    [LibraryImport(Lib)] public static partial NvrtcResult nvrtcGetCUBINSize(nint program, out nuint size);
    [LibraryImport(Lib)] public static partial NvrtcResult nvrtcGetCUBIN(nint program, byte* cubin);
    [LibraryImport(Lib)] public static partial NvrtcResult nvrtcGetProgramLogSize(nint program, out nuint size);
    [LibraryImport(Lib)] public static partial NvrtcResult nvrtcGetProgramLog(nint program, byte* log);
}

/// <summary>Availability and status checking for NVRTC.</summary>
public static class Nvrtc
{
    private static readonly Lazy<(bool Ok, string? Reason, int Major, int Minor)> State = new(Initialize);

    public static LibraryLoadResult Library => NativeLibraries.Load(NativeLibrarySpec.Nvrtc);
    /// <summary>True when an NVRTC library loads and answers nvrtcVersion. Never throws.</summary>
    public static bool IsAvailable => State.Value.Ok;
    public static string? UnavailableReason => State.Value.Reason;
    /// <summary>"12.4", or null when unavailable.</summary>
    public static string? Version => State.Value.Ok ? $"{State.Value.Major}.{State.Value.Minor}" : null;

    private static (bool, string?, int, int) Initialize()
    {
        var lib = Library;
        if (!lib.Found) return (false, lib.Describe(), 0, 0);
        try
        {
            var r = NvrtcApi.nvrtcVersion(out var major, out var minor);
            return r == NvrtcResult.Success ? (true, null, major, minor) : (false, $"nvrtcVersion failed: {ErrorName(r)}", 0, 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return (false, $"NVRTC {lib.LoadedFrom} is unusable: {e.Message}", 0, 0);
        }
    }

    public static void EnsureAvailable()
    {
        if (!IsAvailable) throw new CudaException($"NVRTC is not available: {UnavailableReason}");
    }

    /// <summary>Architectures this NVRTC can target (e.g. 50..90), or empty when it cannot say (before 11.2).</summary>
    public static unsafe int[] SupportedArchs()
    {
        EnsureAvailable();
        try
        {
            Check(NvrtcApi.nvrtcGetNumSupportedArchs(out var n), "nvrtcGetNumSupportedArchs");
            var archs = new int[n];
            fixed (int* p = archs) Check(NvrtcApi.nvrtcGetSupportedArchs(p), "nvrtcGetSupportedArchs");
            return archs;
        }
        catch (EntryPointNotFoundException) { return Array.Empty<int>(); }
    }

    public static void Check(NvrtcResult result, string call)
    {
        if (result == NvrtcResult.Success) return;
        throw new CudaException(call, (int)result, ErrorName(result));
    }

    /// <summary>NVRTC's own name ("NVRTC_ERROR_COMPILATION"), or a local table when it cannot be asked.</summary>
    public static string ErrorName(NvrtcResult r)
    {
        if (Library.Found)
        {
            try
            {
                var p = NvrtcApi.nvrtcGetErrorString(r);
                if (p != 0) return Marshal.PtrToStringUTF8(p) ?? FallbackName(r);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        }
        return FallbackName(r);
    }

    public static string FallbackName(NvrtcResult r) => r switch
    {
        NvrtcResult.Success => "NVRTC_SUCCESS",
        NvrtcResult.OutOfMemory => "NVRTC_ERROR_OUT_OF_MEMORY",
        NvrtcResult.ProgramCreationFailure => "NVRTC_ERROR_PROGRAM_CREATION_FAILURE",
        NvrtcResult.InvalidInput => "NVRTC_ERROR_INVALID_INPUT",
        NvrtcResult.InvalidProgram => "NVRTC_ERROR_INVALID_PROGRAM",
        NvrtcResult.InvalidOption => "NVRTC_ERROR_INVALID_OPTION",
        NvrtcResult.Compilation => "NVRTC_ERROR_COMPILATION",
        NvrtcResult.BuiltinOperationFailure => "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE",
        NvrtcResult.InternalError => "NVRTC_ERROR_INTERNAL_ERROR",
        _ => $"nvrtcResult {(int)r}",
    };
}
