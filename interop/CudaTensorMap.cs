using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MantisNative.Interop;

/// <summary>cuda.h's CUtensorMap: 128 opaque bytes, passed to a kernel by value (a __grid_constant__ parameter).</summary>
[InlineArray(16)]
public struct CuTensorMap
{
    private ulong _element0;
}

public enum CuTensorMapDataType { UInt8 = 0, UInt16 = 1, UInt32 = 2, Int32 = 3, UInt64 = 4, Int64 = 5, Float16 = 6, Float32 = 7, Float64 = 8, BFloat16 = 9 }

public enum CuTensorMapSwizzle { None = 0, Bytes32 = 1, Bytes64 = 2, Bytes128 = 3 }

public static class CudaTensorMap
{
    /// <summary>
    /// A tiled tensor map (no interleave, no L2 promotion, zero fill out of bounds): dims and box innermost first,
    /// strides in bytes for dims 1..rank-1. The driver wants the map 64-byte aligned, so it is encoded into aligned
    /// native memory and copied out.
    /// </summary>
    public static unsafe CuTensorMap EncodeTiled(CuTensorMapDataType type, ulong global, ReadOnlySpan<ulong> dims, ReadOnlySpan<ulong> strides,
        ReadOnlySpan<uint> box, CuTensorMapSwizzle swizzle)
    {
        int rank = dims.Length;
        if (rank is < 1 or > 5 || box.Length != rank || strides.Length != rank - 1)
            throw new ArgumentException($"tensor map: rank {rank} with {box.Length} box and {strides.Length} stride entries");
        var elementStrides = stackalloc uint[rank];
        for (int i = 0; i < rank; i++) elementStrides[i] = 1;
        void* mem = NativeMemory.AlignedAlloc(128, 64);
        try
        {
            fixed (ulong* d = dims)
            fixed (ulong* s = strides)
            fixed (uint* b = box)
                CudaDriver.Check(CudaDriverApi.cuTensorMapEncodeTiled(mem, type, (uint)rank, global, d, rank > 1 ? s : null, b, elementStrides,
                    0, swizzle, 0, 0), "cuTensorMapEncodeTiled");
            return Unsafe.Read<CuTensorMap>(mem);
        }
        finally
        {
            NativeMemory.AlignedFree(mem);
        }
    }
}
