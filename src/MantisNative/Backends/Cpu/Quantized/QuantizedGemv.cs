using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MantisNative.Backends.Cpu.Quantized;

/// <summary>
/// y = W x for a quantized W [Rows, Cols] (a decode step's matrix-vector product), dequantizing inside the dot
/// product: codes are decoded in registers, never written out, so each weight byte is read once. Per block the
/// unscaled products are accumulated, then multiplied by the block's scale. Rows are split over the CPU workers.
/// </summary>
internal static unsafe class QuantizedGemv
{
    public static void Multiply(in QuantizedMatrix m, ReadOnlySpan<float> x, Span<float> y) =>
        Multiply(m, x, y, QuantizedDecode.Avx512Ok ? SimdPath.Avx512 : QuantizedDecode.Avx2Ok ? SimdPath.Avx2 : SimdPath.Scalar, parallel: true);

    internal static void Multiply(in QuantizedMatrix m, ReadOnlySpan<float> x, Span<float> y, SimdPath path, bool parallel)
    {
        if (x.Length != m.Cols) throw new ArgumentException($"x has {x.Length} values, the matrix {m.Cols} columns", nameof(x));
        if (y.Length != m.Rows) throw new ArgumentException($"y has {y.Length} values, the matrix {m.Rows} rows", nameof(y));
        var mm = m;
        fixed (float* px = x, py = y)
        {
            float* xp = px, yp = py;
            if (!parallel || (long)m.Rows * m.Cols < 1 << 16) { Rows(mm, xp, yp, 0, m.Rows, path); return; }
            CpuParallel.ForRange(m.Rows, 16, (r0, r1) => Rows(mm, xp, yp, r0, r1, path));
        }
    }

    /// <summary>y[r] for rows [r0, r1) only, on the calling thread (the frozen-weight GEMV splits rows itself).</summary>
    internal static void MultiplyRows(in QuantizedMatrix m, float* x, float* y, int r0, int r1) =>
        Rows(m, x, y, r0, r1, QuantizedDecode.Avx512Ok ? SimdPath.Avx512 : QuantizedDecode.Avx2Ok ? SimdPath.Avx2 : SimdPath.Scalar);

    /// <summary>
    /// Whether NF4 rows take <see cref="Nf4PairedGemv"/> where it applies (the default); false keeps the
    /// element-order decoder of <see cref="QuantizedDecode"/> (tests cover both; the bench compares them).
    /// </summary>
    internal static bool PairedNf4 { get; set; } = true;

    private static void Rows(QuantizedMatrix m, float* x, float* y, int r0, int r1, SimdPath path)
    {
        if (PairedNf4 && Nf4PairedGemv.Applies(m, path)) { Nf4PairedGemv.Rows(m, x, y, r0, r1, path); return; }
        for (int r = r0; r < r1; r++)
        {
            byte* codes = m.Codes + (nint)r * m.RowBytes;
            float* scales = m.Scales + (nint)r * m.BlocksPerRow;
            y[r] = path switch
            {
                SimdPath.Avx512 => RowAvx512(m, codes, scales, x),
                SimdPath.Avx2 => RowAvx2(m, codes, scales, x),
                _ => RowScalar(m, codes, scales, x),
            };
        }
    }

    private static float RowAvx512(in QuantizedMatrix m, byte* codes, float* scales, float* x)
    {
        var acc = Vector512<float>.Zero;
        float tail = 0;
        int cols = m.Cols, bs = m.BlockSize;
        for (int b = 0, c0 = 0; c0 < cols; b++, c0 += bs)
        {
            int end = Math.Min(cols, c0 + bs), c = c0;
            // four independent accumulators: one FMA chain would wait on the FMA latency every 16 elements
            Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
            for (; c + 64 <= end; c += 64)
            {
                b0 = Avx512F.FusedMultiplyAdd(QuantizedDecode.Decode16(m.Format, codes, c), Avx512F.LoadVector512(x + c), b0);
                b1 = Avx512F.FusedMultiplyAdd(QuantizedDecode.Decode16(m.Format, codes, c + 16), Avx512F.LoadVector512(x + c + 16), b1);
                b2 = Avx512F.FusedMultiplyAdd(QuantizedDecode.Decode16(m.Format, codes, c + 32), Avx512F.LoadVector512(x + c + 32), b2);
                b3 = Avx512F.FusedMultiplyAdd(QuantizedDecode.Decode16(m.Format, codes, c + 48), Avx512F.LoadVector512(x + c + 48), b3);
            }
            for (; c + 16 <= end; c += 16)
                b0 = Avx512F.FusedMultiplyAdd(QuantizedDecode.Decode16(m.Format, codes, c), Avx512F.LoadVector512(x + c), b0);
            var block = Avx512F.Add(Avx512F.Add(b0, b1), Avx512F.Add(b2, b3));
            float rest = 0;
            for (; c < end; c++) rest += QuantizedDecode.DecodeOne(m.Format, codes, c) * x[c];
            acc = Avx512F.FusedMultiplyAdd(block, Vector512.Create(scales[b]), acc);
            tail += rest * scales[b];
        }
        return Vector512.Sum(acc) + tail;
    }

    private static float RowAvx2(in QuantizedMatrix m, byte* codes, float* scales, float* x)
    {
        var acc = Vector256<float>.Zero;
        float tail = 0;
        int cols = m.Cols, bs = m.BlockSize;
        for (int b = 0, c0 = 0; c0 < cols; b++, c0 += bs)
        {
            int end = Math.Min(cols, c0 + bs), c = c0;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            for (; c + 32 <= end; c += 32)
            {
                b0 = Fma.MultiplyAdd(QuantizedDecode.Decode8(m.Format, codes, c), Avx.LoadVector256(x + c), b0);
                b1 = Fma.MultiplyAdd(QuantizedDecode.Decode8(m.Format, codes, c + 8), Avx.LoadVector256(x + c + 8), b1);
                b2 = Fma.MultiplyAdd(QuantizedDecode.Decode8(m.Format, codes, c + 16), Avx.LoadVector256(x + c + 16), b2);
                b3 = Fma.MultiplyAdd(QuantizedDecode.Decode8(m.Format, codes, c + 24), Avx.LoadVector256(x + c + 24), b3);
            }
            for (; c + 8 <= end; c += 8)
                b0 = Fma.MultiplyAdd(QuantizedDecode.Decode8(m.Format, codes, c), Avx.LoadVector256(x + c), b0);
            var block = Avx.Add(Avx.Add(b0, b1), Avx.Add(b2, b3));
            float rest = 0;
            for (; c < end; c++) rest += QuantizedDecode.DecodeOne(m.Format, codes, c) * x[c];
            acc = Fma.MultiplyAdd(block, Vector256.Create(scales[b]), acc);
            tail += rest * scales[b];
        }
        return Vector256.Sum(acc) + tail;
    }

    /// <summary>The reference: dequantize each element, multiply, sum in order.</summary>
    private static float RowScalar(in QuantizedMatrix m, byte* codes, float* scales, float* x)
    {
        float sum = 0;
        for (int c = 0; c < m.Cols; c++) sum += scales[c / m.BlockSize] * QuantizedDecode.DecodeOne(m.Format, codes, c) * x[c];
        return sum;
    }
}
