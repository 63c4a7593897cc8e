using System.Runtime.InteropServices;

namespace MantisNative.Interop;

/// <summary>
/// The friendly edge of the driver API: whether it is usable here (library found, cuInit succeeded) with a
/// reason when not, and <see cref="Check"/>, which turns a CUresult into a <see cref="CudaException"/>.
/// </summary>
public static class CudaDriver
{
    private static readonly Lazy<(bool Ok, string? Reason, int Version)> State = new(Initialize);

    /// <summary>True when libcuda loads and cuInit(0) succeeds. Never throws.</summary>
    public static bool IsAvailable => State.Value.Ok;
    /// <summary>Why the driver is not usable (null when it is).</summary>
    public static string? UnavailableReason => State.Value.Reason;
    /// <summary>The driver's CUDA version as 1000*major + 10*minor (e.g. 12040), 0 when unavailable.</summary>
    public static int Version => State.Value.Version;

    public static LibraryLoadResult Library => NativeLibraries.Load(NativeLibrarySpec.CudaDriver);

    private static (bool, string?, int) Initialize()
    {
        var lib = Library;
        if (!lib.Found) return (false, lib.Describe(), 0);
        try
        {
            var r = CudaDriverApi.cuInit(0);
            if (r != CuResult.Success) return (false, $"cuInit failed: {Describe(r)} (library {lib.LoadedFrom})", 0);
            CudaDriverApi.cuDriverGetVersion(out var v);
            return (true, null, v);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return (false, $"CUDA driver {lib.LoadedFrom} is unusable: {e.Message}", 0);
        }
    }

    /// <summary>Throws <see cref="CudaException"/> with a clear message when the driver is not usable.</summary>
    public static void EnsureAvailable()
    {
        if (!IsAvailable) throw new CudaException($"CUDA is not available: {UnavailableReason}");
    }

    /// <summary>Throws when <paramref name="result"/> is not CUDA_SUCCESS; the message names <paramref name="call"/>.</summary>
    public static void Check(CuResult result, string call)
    {
        if (result == CuResult.Success) return;
        throw new CudaException(call, (int)result, ErrorName(result), ErrorText(result));
    }

    /// <summary>"CUDA_ERROR_X (text)" for messages.</summary>
    public static string Describe(CuResult r)
    {
        var name = ErrorName(r);
        var text = ErrorText(r);
        return text is null || text == name ? name : $"{name} ({text})";
    }

    /// <summary>The symbolic name from cuGetErrorName, or a built-in table when the driver cannot be asked.</summary>
    public static string ErrorName(CuResult r)
    {
        if (Library.Found)
        {
            try
            {
                if (CudaDriverApi.cuGetErrorName(r, out var p) == CuResult.Success && p != 0)
                    return Marshal.PtrToStringUTF8(p) ?? FallbackName(r);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        }
        return FallbackName(r);
    }

    private static string? ErrorText(CuResult r)
    {
        if (!Library.Found) return null;
        try
        {
            if (CudaDriverApi.cuGetErrorString(r, out var p) == CuResult.Success && p != 0) return Marshal.PtrToStringUTF8(p);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        return null;
    }

    /// <summary>Names of the common codes, so errors read the same with or without a driver to ask.</summary>
    public static string FallbackName(CuResult r) => r switch
    {
        CuResult.Success => "CUDA_SUCCESS",
        CuResult.InvalidValue => "CUDA_ERROR_INVALID_VALUE",
        CuResult.OutOfMemory => "CUDA_ERROR_OUT_OF_MEMORY",
        CuResult.NotInitialized => "CUDA_ERROR_NOT_INITIALIZED",
        CuResult.Deinitialized => "CUDA_ERROR_DEINITIALIZED",
        CuResult.StubLibrary => "CUDA_ERROR_STUB_LIBRARY",
        CuResult.NoDevice => "CUDA_ERROR_NO_DEVICE",
        CuResult.InvalidDevice => "CUDA_ERROR_INVALID_DEVICE",
        CuResult.InvalidImage => "CUDA_ERROR_INVALID_IMAGE",
        CuResult.InvalidContext => "CUDA_ERROR_INVALID_CONTEXT",
        CuResult.NoBinaryForGpu => "CUDA_ERROR_NO_BINARY_FOR_GPU",
        CuResult.InvalidPtx => "CUDA_ERROR_INVALID_PTX",
        CuResult.UnsupportedPtxVersion => "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
        CuResult.InvalidHandle => "CUDA_ERROR_INVALID_HANDLE",
        CuResult.NotFound => "CUDA_ERROR_NOT_FOUND",
        CuResult.NotReady => "CUDA_ERROR_NOT_READY",
        CuResult.IllegalAddress => "CUDA_ERROR_ILLEGAL_ADDRESS",
        CuResult.LaunchOutOfResources => "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
        CuResult.LaunchFailed => "CUDA_ERROR_LAUNCH_FAILED",
        CuResult.NotSupported => "CUDA_ERROR_NOT_SUPPORTED",
        CuResult.Unknown => "CUDA_ERROR_UNKNOWN",
        _ => $"CUresult {(int)r}",
    };
}
