using System.Runtime.InteropServices;

namespace MantisNative.Interop;

/// <summary>cublasStatus_t.</summary>
public enum CublasStatus
{
    Success = 0,
    NotInitialized = 1,
    AllocFailed = 3,
    InvalidValue = 7,
    ArchMismatch = 8,
    MappingError = 11,
    ExecutionFailed = 13,
    InternalError = 14,
    NotSupported = 15,
    LicenseError = 16,
}

/// <summary>cudaDataType_t values we use.</summary>
public enum CudaDataType
{
    R32F = 0,
    R64F = 1,
    R16F = 2,
    R16BF = 14,
}

/// <summary>cublasComputeType_t values we use.</summary>
public enum CublasComputeType
{
    Compute16F = 64,
    Compute32F = 68,
    Compute32FFast16BF = 75,
    Compute32FFastTF32 = 77,
}

/// <summary>cublasOperation_t (the value of the TRANSA/TRANSB attributes, an int32).</summary>
public enum CublasOperation
{
    N = 0,
    T = 1,
    C = 2,
}

/// <summary>cublasLtMatmulDescAttributes_t values we use.</summary>
public enum CublasLtMatmulDescAttribute
{
    ComputeType = 0,
    ScaleType = 1,
    PointerMode = 2,
    TransA = 3,
    TransB = 4,
    TransC = 5,
    /// <summary>uint32 cublasLtEpilogue_t (<see cref="CublasLtEpilogue"/>).</summary>
    Epilogue = 7,
    /// <summary>device pointer: the bias vector (BIAS) or the bias gradient written (BGRADA/BGRADB).</summary>
    BiasPointer = 8,
    /// <summary>int32 cudaDataType_t of that vector; default -1 = D's type (what cuBLASLt requires for bf16/fp32 GEMMs).</summary>
    BiasDataType = 26,
}

/// <summary>cublasLtEpilogue_t values we use.</summary>
public enum CublasLtEpilogue : uint
{
    Default = 1,
    /// <summary>D += bias broadcast over columns (bias[row of D]) in fp32 before D's rounding.</summary>
    Bias = 4,
    /// <summary>bias gradient of op(A): the vector gets sum over k of op(A) (one value per row of D).</summary>
    BGradA = 256,
    /// <summary>bias gradient of op(B): the vector gets sum over k of op(B) (one value per column of D).</summary>
    BGradB = 512,
}

/// <summary>cublasLtMatrixLayoutAttribute_t values we use.</summary>
public enum CublasLtMatrixLayoutAttribute
{
    Type = 0,
    Order = 1,
    Rows = 2,
    Cols = 3,
    Ld = 4,
    /// <summary>int32: number of matrices in a strided batch.</summary>
    BatchCount = 5,
    /// <summary>int64: elements between consecutive matrices of a batch.</summary>
    StridedBatchOffset = 6,
}

/// <summary>cublasLtMatmulPreferenceAttributes_t values we use.</summary>
public enum CublasLtMatmulPreferenceAttribute
{
    SearchMode = 0,
    /// <summary>uint64: the largest workspace an algorithm may use.</summary>
    MaxWorkspaceBytes = 1,
}

/// <summary>cublasLtMatmulAlgo_t: an opaque 64-byte value.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct CublasLtMatmulAlgo
{
    public fixed ulong Data[8];
}

/// <summary>cublasLtMatmulHeuristicResult_t.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct CublasLtMatmulHeuristicResult
{
    public CublasLtMatmulAlgo Algo;
    public nuint WorkspaceSize;
    public CublasStatus State;
    public float WavesCount;
    public fixed int Reserved[4];
}

/// <summary>Raw cuBLASLt declarations (cublasLt.h). Handles and descriptors are nint.</summary>
public static unsafe partial class CublasLtApi
{
    private const string Lib = "mantis-cublaslt";

    static CublasLtApi() => NativeLibraries.EnsureRegistered();

    [LibraryImport(Lib)] public static partial nuint cublasLtGetVersion();
    [LibraryImport(Lib)] public static partial nint cublasLtGetStatusName(CublasStatus status);
    [LibraryImport(Lib)] public static partial CublasStatus cublasLtCreate(out nint handle);
    [LibraryImport(Lib)] public static partial CublasStatus cublasLtDestroy(nint handle);

    [LibraryImport(Lib)] public static partial CublasStatus cublasLtMatmulDescCreate(out nint desc, CublasComputeType computeType, CudaDataType scaleType);
    [LibraryImport(Lib)] public static partial CublasStatus cublasLtMatmulDescSetAttribute(nint desc, CublasLtMatmulDescAttribute attribute, void* buffer, nuint size);
    [LibraryImport(Lib)] public static partial CublasStatus cublasLtMatmulDescDestroy(nint desc);

    [LibraryImport(Lib)] public static partial CublasStatus cublasLtMatrixLayoutCreate(out nint layout, CudaDataType type, ulong rows, ulong cols, long ld);
    [LibraryImport(Lib)] public static partial CublasStatus cublasLtMatrixLayoutSetAttribute(nint layout, CublasLtMatrixLayoutAttribute attribute, void* buffer, nuint size);
    [LibraryImport(Lib)] public static partial CublasStatus cublasLtMatrixLayoutDestroy(nint layout);

    [LibraryImport(Lib)] public static partial CublasStatus cublasLtMatmulPreferenceCreate(out nint preference);
    [LibraryImport(Lib)] public static partial CublasStatus cublasLtMatmulPreferenceSetAttribute(nint preference, CublasLtMatmulPreferenceAttribute attribute, void* buffer, nuint size);
    [LibraryImport(Lib)] public static partial CublasStatus cublasLtMatmulPreferenceDestroy(nint preference);

    [LibraryImport(Lib)] public static partial CublasStatus cublasLtMatmulAlgoGetHeuristic(nint handle, nint operationDesc,
        nint aDesc, nint bDesc, nint cDesc, nint dDesc, nint preference, int requestedAlgoCount,
        CublasLtMatmulHeuristicResult* results, out int returnedAlgoCount);

    [LibraryImport(Lib)] public static partial CublasStatus cublasLtMatmul(nint handle, nint computeDesc,
        void* alpha, ulong a, nint aDesc, ulong b, nint bDesc, void* beta, ulong c, nint cDesc, ulong d, nint dDesc,
        CublasLtMatmulAlgo* algo, ulong workspace, nuint workspaceBytes, nint stream);
}

/// <summary>Availability and status checking for cuBLASLt.</summary>
public static class CublasLt
{
    private static readonly Lazy<(bool Ok, string? Reason, ulong Version)> State = new(Initialize);

    public static LibraryLoadResult Library => NativeLibraries.Load(NativeLibrarySpec.CublasLt);
    /// <summary>True when a cuBLASLt library loads and answers cublasLtGetVersion. Never throws.</summary>
    public static bool IsAvailable => State.Value.Ok;
    public static string? UnavailableReason => State.Value.Reason;
    /// <summary>cublasLtGetVersion (e.g. 120403), 0 when unavailable.</summary>
    public static ulong Version => State.Value.Version;

    private static (bool, string?, ulong) Initialize()
    {
        var lib = Library;
        if (!lib.Found) return (false, lib.Describe(), 0);
        try { return (true, null, CublasLtApi.cublasLtGetVersion()); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return (false, $"cuBLASLt {lib.LoadedFrom} is unusable: {e.Message}", 0);
        }
    }

    public static void EnsureAvailable()
    {
        if (!IsAvailable) throw new CudaException($"cuBLASLt is not available: {UnavailableReason}");
    }

    public static void Check(CublasStatus status, string call)
    {
        if (status == CublasStatus.Success) return;
        throw new CudaException(call, (int)status, StatusName(status));
    }

    public static string StatusName(CublasStatus s)
    {
        if (Library.Found)
        {
            try
            {
                var p = CublasLtApi.cublasLtGetStatusName(s);
                if (p != 0) return Marshal.PtrToStringUTF8(p) ?? FallbackName(s);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        }
        return FallbackName(s);
    }

    public static string FallbackName(CublasStatus s) => s switch
    {
        CublasStatus.Success => "CUBLAS_STATUS_SUCCESS",
        CublasStatus.NotInitialized => "CUBLAS_STATUS_NOT_INITIALIZED",
        CublasStatus.AllocFailed => "CUBLAS_STATUS_ALLOC_FAILED",
        CublasStatus.InvalidValue => "CUBLAS_STATUS_INVALID_VALUE",
        CublasStatus.ArchMismatch => "CUBLAS_STATUS_ARCH_MISMATCH",
        CublasStatus.MappingError => "CUBLAS_STATUS_MAPPING_ERROR",
        CublasStatus.ExecutionFailed => "CUBLAS_STATUS_EXECUTION_FAILED",
        CublasStatus.InternalError => "CUBLAS_STATUS_INTERNAL_ERROR",
        CublasStatus.NotSupported => "CUBLAS_STATUS_NOT_SUPPORTED",
        CublasStatus.LicenseError => "CUBLAS_STATUS_LICENSE_ERROR",
        _ => $"cublasStatus {(int)s}",
    };
}
