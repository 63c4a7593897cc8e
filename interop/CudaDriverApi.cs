using System.Runtime.InteropServices;

namespace MantisNative.Interop;

/// <summary>
/// Raw CUDA driver API declarations (cuda.h). Handles are nint, device pointers ulong (CUdeviceptr), sizes nuint.
/// The versioned "_v2" exports are bound by their real symbol names. Call through <see cref="CudaDriver.Check"/>.
/// </summary>
public static unsafe partial class CudaDriverApi
{
    private const string Lib = "mantis-cuda";

    static CudaDriverApi() => NativeLibraries.EnsureRegistered();

    [LibraryImport(Lib)] public static partial CuResult cuInit(uint flags);
    [LibraryImport(Lib)] public static partial CuResult cuDriverGetVersion(out int version);
    [LibraryImport(Lib)] public static partial CuResult cuGetErrorName(CuResult error, out nint name);
    [LibraryImport(Lib)] public static partial CuResult cuGetErrorString(CuResult error, out nint text);

    // devices
    [LibraryImport(Lib)] public static partial CuResult cuDeviceGetCount(out int count);
    [LibraryImport(Lib)] public static partial CuResult cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Lib)] public static partial CuResult cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib)] public static partial CuResult cuDeviceGetAttribute(out int value, CuDeviceAttribute attribute, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")] public static partial CuResult cuDeviceTotalMem(out nuint bytes, int device);

    // contexts (the primary context: what the runtime API and PyTorch share)
    [LibraryImport(Lib)] public static partial CuResult cuDevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial CuResult cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(Lib)] public static partial CuResult cuCtxSetCurrent(nint context);
    [LibraryImport(Lib)] public static partial CuResult cuCtxGetCurrent(out nint context);
    [LibraryImport(Lib)] public static partial CuResult cuCtxSynchronize();
    [LibraryImport(Lib, EntryPoint = "cuMemGetInfo_v2")] public static partial CuResult cuMemGetInfo(out nuint free, out nuint total);

    // memory: plain and stream-ordered
    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")] public static partial CuResult cuMemAlloc(out ulong pointer, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")] public static partial CuResult cuMemFree(ulong pointer);
    [LibraryImport(Lib)] public static partial CuResult cuMemAllocAsync(out ulong pointer, nuint bytes, nint stream);
    [LibraryImport(Lib)] public static partial CuResult cuMemFreeAsync(ulong pointer, nint stream);
    [LibraryImport(Lib)] public static partial CuResult cuDeviceGetDefaultMemPool(out nint pool, int device);
    [LibraryImport(Lib)] public static partial CuResult cuMemPoolSetAttribute(nint pool, CuMemPoolAttribute attribute, void* value);
    [LibraryImport(Lib)] public static partial CuResult cuMemPoolTrimTo(nint pool, nuint minBytesToKeep);
    // page-locked host memory: the source of copies that run while the host goes on (flags 0: portable to this context)
    [LibraryImport(Lib, EntryPoint = "cuMemHostAlloc")] public static partial CuResult cuMemHostAlloc(out nint pointer, nuint bytes, uint flags);
    [LibraryImport(Lib)] public static partial CuResult cuMemFreeHost(nint pointer);

    // copies and fills (async on a stream)
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial CuResult cuMemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial CuResult cuMemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoDAsync_v2")] public static partial CuResult cuMemcpyDtoDAsync(ulong destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(Lib)] public static partial CuResult cuMemsetD8Async(ulong destination, byte value, nuint count, nint stream);
    [LibraryImport(Lib)] public static partial CuResult cuMemsetD32Async(ulong destination, uint value, nuint count, nint stream);

    // streams
    [LibraryImport(Lib)] public static partial CuResult cuStreamCreate(out nint stream, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")] public static partial CuResult cuStreamDestroy(nint stream);
    [LibraryImport(Lib)] public static partial CuResult cuStreamSynchronize(nint stream);
    [LibraryImport(Lib)] public static partial CuResult cuStreamWaitEvent(nint stream, nint evt, uint flags);

    // events
    [LibraryImport(Lib)] public static partial CuResult cuEventCreate(out nint evt, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")] public static partial CuResult cuEventDestroy(nint evt);
    [LibraryImport(Lib)] public static partial CuResult cuEventRecord(nint evt, nint stream);
    [LibraryImport(Lib)] public static partial CuResult cuEventSynchronize(nint evt);
    [LibraryImport(Lib)] public static partial CuResult cuEventElapsedTime(out float milliseconds, nint start, nint end);

    // modules and kernels
    [LibraryImport(Lib)] public static partial CuResult cuModuleLoadDataEx(out nint module, void* image, uint numOptions, CuJitOption* options, void** optionValues);
    [LibraryImport(Lib)] public static partial CuResult cuModuleUnload(nint module);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial CuResult cuModuleGetFunction(out nint function, nint module, string name);
    [LibraryImport(Lib)] public static partial CuResult cuFuncGetAttribute(out int value, CuFunctionAttribute attribute, nint function);
    [LibraryImport(Lib)] public static partial CuResult cuFuncSetAttribute(nint function, CuFunctionAttribute attribute, int value);
    [LibraryImport(Lib)] public static partial CuResult cuLaunchKernel(nint function,
        uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemBytes, nint stream, void** kernelParams, void** extra);

    // TMA tensor maps (CUDA 12.0+): the 128-byte descriptor a cp.async.bulk.tensor copy reads (sm_90)
    [LibraryImport(Lib)] public static partial CuResult cuTensorMapEncodeTiled(void* tensorMap, CuTensorMapDataType dataType, uint rank,
        ulong globalAddress, ulong* globalDim, ulong* globalStrides, uint* boxDim, uint* elementStrides,
        int interleave, CuTensorMapSwizzle swizzle, int l2Promotion, int oobFill);
}
