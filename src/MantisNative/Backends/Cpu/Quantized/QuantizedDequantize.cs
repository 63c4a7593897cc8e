using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MantisNative.Backends.Cpu.Quantized;

/// <summary>
/// Dequantizes a segment [col0, col0 + count) of one row into floats: the loader's path to fp32 weights and the
/// inner step of <see cref="QuantizedPacking"/>. AVX-512 and AVX2 paths, with <see cref="DequantizeScalar"/> as
/// the reference (all paths give bit-identical results: each element is one float product scale * value).
/// </summary>
internal static unsafe class QuantizedDequantize
{
    public static void Row(in QuantizedMatrix m, int row, int col0, int count, Span<float> dst) =>
        Row(m, row, col0, count, dst, QuantizedDecode.Avx512Ok ? SimdPath.Avx512 : QuantizedDecode.Avx2Ok ? SimdPath.Avx2 : SimdPath.Scalar);

    internal static void Row(in QuantizedMatrix m, int row, int col0, int count, Span<float> dst, SimdPath path)
    {
        Check(m, row, col0, count, dst.Length);
        byte* codes = m.Codes + (nint)row * m.RowBytes;
        float* scales = m.Scales + (nint)row * m.BlocksPerRow;
        int end = col0 + count, c = col0, bs = m.BlockSize;
        fixed (float* d0 = dst)
        {
            float* d = d0 - col0; // d[c] is the destination of column c
            // head: up to the next multiple of 16 (groups of 16 and 8 then never straddle a block or a byte)
            for (; c < end && (c & 15) != 0; c++) d[c] = scales[c / bs] * QuantizedDecode.DecodeOne(m.Format, codes, c);
            if (path == SimdPath.Avx512)
                for (; c + 16 <= end; c += 16)
                    Avx512F.Store(d + c, Avx512F.Multiply(Vector512.Create(scales[c / bs]), QuantizedDecode.Decode16(m.Format, codes, c)));
            else if (path == SimdPath.Avx2)
                for (; c + 8 <= end; c += 8)
                    Avx.Store(d + c, Avx.Multiply(Vector256.Create(scales[c / bs]), QuantizedDecode.Decode8(m.Format, codes, c)));
            for (; c < end; c++) d[c] = scales[c / bs] * QuantizedDecode.DecodeOne(m.Format, codes, c);
        }
    }

    /// <summary>The reference: element by element.</summary>
    public static void DequantizeScalar(in QuantizedMatrix m, int row, int col0, int count, Span<float> dst)
    {
        Check(m, row, col0, count, dst.Length);
        byte* codes = m.Codes + (nint)row * m.RowBytes;
        float* scales = m.Scales + (nint)row * m.BlocksPerRow;
        for (int i = 0; i < count; i++)
        {
            int c = col0 + i;
            dst[i] = scales[c / m.BlockSize] * QuantizedDecode.DecodeOne(m.Format, codes, c);
        }
    }

    private static void Check(in QuantizedMatrix m, int row, int col0, int count, int dstLength)
    {
        if ((uint)row >= (uint)m.Rows) throw new ArgumentOutOfRangeException(nameof(row));
        if (col0 < 0 || count < 0 || col0 + count > m.Cols) throw new ArgumentOutOfRangeException(nameof(count), $"columns [{col0}, {col0 + count}) outside [0, {m.Cols})");
        if (dstLength < count) throw new ArgumentException("destination too short");
    }
}

/// <summary>Which instruction set a quantized kernel uses (tests force each one the machine has).</summary>
internal enum SimdPath { Scalar, Avx2, Avx512 }
