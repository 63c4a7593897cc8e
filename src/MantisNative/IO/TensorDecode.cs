using System.Buffers.Binary;
using System.Runtime.InteropServices;
using MantisNative.Tensors;

namespace MantisNative.IO;

/// <summary>
/// Turns raw little-endian tensor bytes of any supported dtype into float or long values.
/// Reads go through MemoryMarshal casts, which allow unaligned data (a foreign file's header need not be padded).
/// </summary>
public static class TensorDecode
{
    /// <summary>Converts <paramref name="src"/> (whole elements of <paramref name="dtype"/>) to floats in <paramref name="dst"/>.</summary>
    public static void ToFloat32(DType dtype, ReadOnlySpan<byte> src, Span<float> dst)
    {
        int n = src.Length / dtype.SizeOf();
        if (n * dtype.SizeOf() != src.Length) throw new ArgumentException("source is not a whole number of elements", nameof(src));
        if (dst.Length < n) throw new ArgumentException($"destination holds {dst.Length} values, {n} needed", nameof(dst));
        dst = dst[..n];
        switch (dtype)
        {
            case DType.F32:
                MemoryMarshal.Cast<byte, float>(src).CopyTo(dst);
                break;
            case DType.BF16:
                FloatConversion.FromBFloat16(MemoryMarshal.Cast<byte, ushort>(src), dst);
                break;
            case DType.F16:
                FloatConversion.FromFloat16(MemoryMarshal.Cast<byte, ushort>(src), dst);
                break;
            case DType.I32:
                var i32 = MemoryMarshal.Cast<byte, int>(src);
                for (int i = 0; i < n; i++) dst[i] = i32[i];
                break;
            case DType.I64:
                var i64 = MemoryMarshal.Cast<byte, long>(src);
                for (int i = 0; i < n; i++) dst[i] = i64[i];
                break;
            case DType.U8:
                for (int i = 0; i < n; i++) dst[i] = src[i];
                break;
            case DType.Bool:
                for (int i = 0; i < n; i++) dst[i] = src[i] != 0 ? 1f : 0f;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype));
        }
    }

    /// <summary>
    /// Converts integer or bool elements to longs. Float dtypes are refused: turning weights into ids silently
    /// is never what the caller meant.
    /// </summary>
    public static bool TryToInt64(DType dtype, ReadOnlySpan<byte> src, Span<long> dst)
    {
        int n = src.Length / dtype.SizeOf();
        if (dst.Length < n) throw new ArgumentException($"destination holds {dst.Length} values, {n} needed", nameof(dst));
        switch (dtype)
        {
            case DType.I64:
                for (int i = 0; i < n; i++) dst[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(i * 8)..]);
                return true;
            case DType.I32:
                var i32 = MemoryMarshal.Cast<byte, int>(src);
                for (int i = 0; i < n; i++) dst[i] = i32[i];
                return true;
            case DType.U8:
                for (int i = 0; i < n; i++) dst[i] = src[i];
                return true;
            case DType.Bool:
                for (int i = 0; i < n; i++) dst[i] = src[i] != 0 ? 1 : 0;
                return true;
            default:
                return false;
        }
    }
}
