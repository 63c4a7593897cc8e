using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MantisNative.Backends.Cpu.Quantized;

/// <summary>
/// The NF4 decode GEMV without unpacking nibbles into element order: a byte holds elements 2i (low nibble) and
/// 2i + 1 (high nibble), so V bytes widened to V 32-bit lanes give V even elements through the low nibbles and V
/// odd ones through the high nibbles (one shift). Instead of interleaving the codes, the input vector is
/// de-interleaved once per call (<see cref="PairX"/>: per group of 2V elements, the V even ones then the V odd
/// ones), which every row then reuses. The codebook lookup is one register permute per V elements: vpermps reads
/// only the low 4 (AVX-512, 16-entry table) or 3 (AVX2, two 8-entry halves blended on bit 3) index bits, so the
/// low nibble needs no mask. Per 2V elements: one widening load, one shift, two lookups, two FMAs - about half the
/// work of <see cref="QuantizedDecode.Decode16"/> per element, which matters because NF4 reads 0.56 bytes per
/// weight and is bound by instructions, not memory, on a 2-core machine. The products are those of the scalar
/// reference summed in another order (same as every SIMD path). Blocks must hold whole groups (block size a
/// multiple of 2V); the part of a row past its last whole group goes element by element.
/// </summary>
internal static unsafe class Nf4PairedGemv
{
    private static readonly Vector512<float> Table512 = Vector512.Create(Nf4Codebook.Values);
    private static readonly Vector256<float> TableLo = Vector256.Create(Nf4Codebook.Values.AsSpan(0, 8));
    private static readonly Vector256<float> TableHi = Vector256.Create(Nf4Codebook.Values.AsSpan(8, 8));

    [ThreadStatic] private static float[]? _paired;

    /// <summary>Elements per group (2V) of a path: 32 for AVX-512, 16 for AVX2.</summary>
    public static int Group(SimdPath path) => path == SimdPath.Avx512 ? 32 : 16;

    /// <summary>Whether rows of <paramref name="m"/> can take this kernel on <paramref name="path"/>.</summary>
    public static bool Applies(in QuantizedMatrix m, SimdPath path) =>
        m.Format == QuantizedFormat.Nf4 && path != SimdPath.Scalar && m.BlockSize % Group(path) == 0 && m.Cols >= Group(path);

    /// <summary>y[r] = Σ W[r, c] x[c] for rows [r0, r1).</summary>
    public static void Rows(in QuantizedMatrix m, float* x, float* y, int r0, int r1, SimdPath path)
    {
        int group = Group(path), full = m.Cols / group * group;
        var paired = _paired is { } p && p.Length >= full ? p : _paired = GC.AllocateUninitializedArray<float>(Math.Max(full, 4096), pinned: true);
        float* xp = (float*)Unsafe.AsPointer(ref paired[0]);
        PairX(x, xp, full, group);
        for (int r = r0; r < r1; r++)
        {
            byte* codes = m.Codes + (nint)r * m.RowBytes;
            float* scales = m.Scales + (nint)r * m.BlocksPerRow;
            y[r] = path == SimdPath.Avx512 ? RowAvx512(m, codes, scales, xp, x, full) : RowAvx2(m, codes, scales, xp, x, full);
        }
    }

    /// <summary>Per group of <paramref name="group"/> elements: the even-indexed ones, then the odd-indexed ones.</summary>
    internal static void PairX(float* x, float* xp, int full, int group)
    {
        int half = group / 2;
        for (int g = 0; g < full; g += group)
            for (int j = 0; j < half; j++)
            {
                xp[g + j] = x[g + 2 * j];
                xp[g + half + j] = x[g + 2 * j + 1];
            }
    }

    private static float RowAvx512(in QuantizedMatrix m, byte* codes, float* scales, float* xp, float* x, int full)
    {
        var acc = Vector512<float>.Zero;
        float tail = 0;
        int cols = m.Cols, bs = m.BlockSize;
        for (int b = 0, c0 = 0; c0 < cols; b++, c0 += bs)
        {
            int end = Math.Min(full, c0 + bs), c = c0;
            // four independent accumulators (two groups in flight): one FMA chain would wait on the FMA latency
            Vector512<float> e0 = default, o0 = default, e1 = default, o1 = default;
            for (; c + 64 <= end; c += 64)
            {
                var w0 = Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(codes + (c >> 1)));
                var w1 = Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(codes + (c >> 1) + 16));
                e0 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(Table512, w0), Avx512F.LoadVector512(xp + c), e0);
                o0 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(Table512, Avx512F.ShiftRightLogical(w0, 4)), Avx512F.LoadVector512(xp + c + 16), o0);
                e1 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(Table512, w1), Avx512F.LoadVector512(xp + c + 32), e1);
                o1 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(Table512, Avx512F.ShiftRightLogical(w1, 4)), Avx512F.LoadVector512(xp + c + 48), o1);
            }
            for (; c + 32 <= end; c += 32)
            {
                var w0 = Avx512F.ConvertToVector512Int32(Sse2.LoadVector128(codes + (c >> 1)));
                e0 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(Table512, w0), Avx512F.LoadVector512(xp + c), e0);
                o0 = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32(Table512, Avx512F.ShiftRightLogical(w0, 4)), Avx512F.LoadVector512(xp + c + 16), o0);
            }
            acc = Avx512F.FusedMultiplyAdd(Avx512F.Add(Avx512F.Add(e0, o0), Avx512F.Add(e1, o1)), Vector512.Create(scales[b]), acc);
            tail += Rest(m, codes, x, Math.Max(c0, full), Math.Min(cols, c0 + bs)) * scales[b];
        }
        return Vector512.Sum(acc) + tail;
    }

    private static float RowAvx2(in QuantizedMatrix m, byte* codes, float* scales, float* xp, float* x, int full)
    {
        var acc = Vector256<float>.Zero;
        float tail = 0;
        int cols = m.Cols, bs = m.BlockSize;
        for (int b = 0, c0 = 0; c0 < cols; b++, c0 += bs)
        {
            int end = Math.Min(full, c0 + bs), c = c0;
            Vector256<float> e0 = default, o0 = default, e1 = default, o1 = default;
            for (; c + 32 <= end; c += 32)
            {
                var w0 = Avx2.ConvertToVector256Int32(codes + (c >> 1));
                var w1 = Avx2.ConvertToVector256Int32(codes + (c >> 1) + 8);
                e0 = Fma.MultiplyAdd(Lookup8(w0), Avx.LoadVector256(xp + c), e0);
                o0 = Fma.MultiplyAdd(Lookup8(Avx2.ShiftRightLogical(w0, 4)), Avx.LoadVector256(xp + c + 8), o0);
                e1 = Fma.MultiplyAdd(Lookup8(w1), Avx.LoadVector256(xp + c + 16), e1);
                o1 = Fma.MultiplyAdd(Lookup8(Avx2.ShiftRightLogical(w1, 4)), Avx.LoadVector256(xp + c + 24), o1);
            }
            for (; c + 16 <= end; c += 16)
            {
                var w0 = Avx2.ConvertToVector256Int32(codes + (c >> 1));
                e0 = Fma.MultiplyAdd(Lookup8(w0), Avx.LoadVector256(xp + c), e0);
                o0 = Fma.MultiplyAdd(Lookup8(Avx2.ShiftRightLogical(w0, 4)), Avx.LoadVector256(xp + c + 8), o0);
            }
            acc = Fma.MultiplyAdd(Avx.Add(Avx.Add(e0, o0), Avx.Add(e1, o1)), Vector256.Create(scales[b]), acc);
            tail += Rest(m, codes, x, Math.Max(c0, full), Math.Min(cols, c0 + bs)) * scales[b];
        }
        return Vector256.Sum(acc) + tail;
    }

    /// <summary>The 16-entry codebook at index bits 0-3 of each lane (bits above ignored): two 8-entry permutes, bit 3 picks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Lookup8(Vector256<int> idx) =>
        Avx.BlendVariable(Avx2.PermuteVar8x32(TableLo, idx), Avx2.PermuteVar8x32(TableHi, idx), Avx2.ShiftLeftLogical(idx, 28).AsSingle());

    /// <summary>Unscaled Σ code·x over [c0, c1) (the elements past a row's last whole group).</summary>
    private static float Rest(in QuantizedMatrix m, byte* codes, float* x, int c0, int c1)
    {
        float s = 0;
        for (int c = c0; c < c1; c++) s += QuantizedDecode.DecodeOne(m.Format, codes, c) * x[c];
        return s;
    }
}
