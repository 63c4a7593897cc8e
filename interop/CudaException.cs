namespace MantisNative.Interop;

/// <summary>
/// A failed CUDA driver, NVRTC or cuBLASLt call, or a missing native library. The message names the call and
/// the library's own error name (e.g. "cuMemAllocAsync failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)"),
/// so a log line says what broke without a debugger.
/// </summary>
public sealed class CudaException : Exception
{
    /// <summary>The API call that failed (e.g. "cuMemAllocAsync"), or the library that was not found.</summary>
    public string Call { get; }
    /// <summary>The library's status code (CUresult, nvrtcResult or cublasStatus_t); -1 when not a status.</summary>
    public int Status { get; }
    /// <summary>The symbolic status name (e.g. CUDA_ERROR_OUT_OF_MEMORY).</summary>
    public string StatusName { get; }

    public CudaException(string call, int status, string statusName, string? detail = null)
        : base(Format(call, statusName, detail))
    {
        Call = call;
        Status = status;
        StatusName = statusName;
    }

    public CudaException(string message, Exception? inner = null) : base(message, inner)
    {
        Call = "";
        Status = -1;
        StatusName = "";
    }

    /// <summary>"call failed: NAME (detail)"; the detail is left out when empty or equal to the name.</summary>
    public static string Format(string call, string statusName, string? detail)
    {
        var s = $"{call} failed: {statusName}";
        if (!string.IsNullOrWhiteSpace(detail) && detail != statusName) s += $" ({detail})";
        return s;
    }
}
