using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
                Bf16ToF32(MemoryMarshal.Cast<byte, ushort>(src), dst);
                break;
            case DType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(src), dst);
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
    /// bf16 to f32 is a 16-bit left shift of the bits (exact, NaN payloads kept); done 8 values at a time because
    /// loading a bf16 checkpoint converts billions of them.
    /// </summary>
    public static void Bf16ToF32(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short", nameof(dst));
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= src.Length - 8; i += 8)
            {
                var (lo, hi) = Vector128.Widen(Vector128.Create(src.Slice(i, 8)));
                Vector128.ShiftLeft(lo, 16).AsSingle().CopyTo(dst.Slice(i, 4));
                Vector128.ShiftLeft(hi, 16).AsSingle().CopyTo(dst.Slice(i + 4, 4));
            }
        }
        for (; i < src.Length; i++) dst[i] = FloatConversion.FromBFloat16(src[i]);
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
