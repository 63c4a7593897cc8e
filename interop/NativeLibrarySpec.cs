namespace MantisNative.Interop;

/// <summary>
/// One native library the interop can load: the logical name the P/Invoke declarations use, the environment
/// variable that overrides discovery, and the file names to look for, newest CUDA major version first.
/// </summary>
public sealed record NativeLibrarySpec(
    string LogicalName,
    string DisplayName,
    string EnvironmentVariable,
    IReadOnlyList<string> LinuxNames,
    IReadOnlyList<string> WindowsNames,
    bool SearchToolkitFolders)
{
    /// <summary>The CUDA driver. Never searched in toolkit folders: those hold only the link stub
    /// (lib64/stubs/libcuda.so), which loads and then fails every call with CUDA_ERROR_STUB_LIBRARY.</summary>
    public static readonly NativeLibrarySpec CudaDriver = new(
        "mantis-cuda", "CUDA driver", "MANTIS_CUDA_DRIVER",
        new[] { "libcuda.so.1", "libcuda.so" },
        new[] { "nvcuda.dll" },
        SearchToolkitFolders: false);

    public static readonly NativeLibrarySpec Nvrtc = new(
        "mantis-nvrtc", "NVRTC", "MANTIS_NVRTC_PATH",
        new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so" },
        new[] { "nvrtc64_130_0.dll", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll" },
        SearchToolkitFolders: true);

    public static readonly NativeLibrarySpec CublasLt = new(
        "mantis-cublaslt", "cuBLASLt", "MANTIS_CUBLASLT",
        new[] { "libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11", "libcublasLt.so" },
        new[] { "cublasLt64_13.dll", "cublasLt64_12.dll", "cublasLt64_11.dll" },
        SearchToolkitFolders: true);

    public static readonly IReadOnlyList<NativeLibrarySpec> All = new[] { CudaDriver, Nvrtc, CublasLt };

    public IReadOnlyList<string> NamesFor(IProbeEnvironment env) => env.IsWindows ? WindowsNames : LinuxNames;
}
