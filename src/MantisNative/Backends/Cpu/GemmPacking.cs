using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MantisNative.Backends.Cpu;

/// <summary>
/// Copies blocks of op(A) and op(B) into the layouts the micro-kernel streams: A as panels of MR rows
/// stored k-major ([p][i], MR floats per k step), B as panels of NR columns stored k-major ([p][j], NR
/// floats per k step). Transposes are resolved here, once per block, so the kernel sees one layout; short
/// panels at the edges are zero-padded so the kernel never needs bounds checks.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs op(A)[i0..i0+mc, p0..p0+kc] into ceil(mc/MR) panels of MR x kc at dst.</summary>
    public static void PackA(GemmFamily f, bool transA, float* a, nint lda, int i0, int mc, int p0, int kc, float* dst)
    {
        int MR = f.MR;
        for (int ip = 0; ip < mc; ip += MR, dst += (nint)MR * kc)
        {
            int mr = Math.Min(MR, mc - ip);
            if (transA)
            {
                // A is stored k x m: each k step of the panel is mr contiguous floats.
                float* src = a + (nint)p0 * lda + i0 + ip;
                if (mr == 12 && MR == 12 && Avx.IsSupported)
                {
                    for (int p = 0; p < kc; p++, src += lda)
                    {
                        Avx.Store(dst + (nint)p * 12, Avx.LoadVector256(src));
                        Sse.Store(dst + (nint)p * 12 + 8, Sse.LoadVector128(src + 8));
                    }
                    continue;
                }
                for (int p = 0; p < kc; p++, src += lda)
                {
                    float* d = dst + (nint)p * MR;
                    int i = 0;
                    for (; i < mr; i++) d[i] = src[i];
                    for (; i < MR; i++) d[i] = 0f;
                }
            }
            else if (mr == 12 && MR == 12 && Avx.IsSupported)
            {
                // A is stored m x k and the panel wants it k-major: 8 x 8 and 4 x 8 register transposes.
                float* src = a + (nint)(i0 + ip) * lda + p0;
                int p = 0;
                for (; p + 8 <= kc; p += 8)
                {
                    Transpose8x8(src + p, lda, dst + (nint)p * 12, 12);
                    Transpose4x8(src + 8 * lda + p, lda, dst + (nint)p * 12 + 8, 12);
                }
                for (; p < kc; p++)
                    for (int i = 0; i < 12; i++) dst[(nint)p * 12 + i] = src[i * lda + p];
            }
            else if (mr == 6 && MR == 6 && Avx.IsSupported)
            {
                // The AVX2 tile: a 4 x 8 register transpose for rows 0-3, rows 4-5 interleaved pairwise.
                float* src = a + (nint)(i0 + ip) * lda + p0;
                float* s4 = src + 4 * lda, s5 = src + 5 * lda;
                int p = 0;
                for (; p + 8 <= kc; p += 8)
                {
                    Transpose4x8(src + p, lda, dst + (nint)p * 6, 6);
                    for (int q = p; q < p + 8; q++) { dst[(nint)q * 6 + 4] = s4[q]; dst[(nint)q * 6 + 5] = s5[q]; }
                }
                for (; p < kc; p++)
                    for (int i = 0; i < 6; i++) dst[(nint)p * 6 + i] = src[i * lda + p];
            }
            else
            {
                // A is stored m x k: read each row contiguously, write it with stride MR.
                for (int i = 0; i < mr; i++)
                {
                    float* src = a + (nint)(i0 + ip + i) * lda + p0;
                    float* d = dst + i;
                    for (int p = 0; p < kc; p++) d[(nint)p * MR] = src[p];
                }
                for (int i = mr; i < MR; i++)
                    for (int p = 0; p < kc; p++) dst[(nint)p * MR + i] = 0f;
            }
        }
    }

    /// <summary>Packs panels [panel0, panel1) of op(B)[p0..p0+kc, j0..j0+nc] (NR columns each) into dst (panel 0 at dst).</summary>
    public static void PackB(GemmFamily f, bool transB, float* b, nint ldb, int p0, int kc, int j0, int nc, int panel0, int panel1, float* dst)
    {
        int NR = f.NR;
        for (int jp = panel0; jp < panel1; jp++)
        {
            int jj = jp * NR;
            int nr = Math.Min(NR, nc - jj);
            float* d = dst + (nint)jp * NR * kc;
            if (transB) PackBTransposed(b + (nint)(j0 + jj) * ldb + p0, ldb, kc, nr, NR, d);
            else PackBRows(b + (nint)p0 * ldb + j0 + jj, ldb, kc, nr, NR, d);
        }
    }

    /// <summary>B stored k x n: each k step of the panel is nr contiguous floats of one row.</summary>
    private static void PackBRows(float* src, nint ldb, int kc, int nr, int NR, float* d)
    {
        if (nr == NR && NR == 32 && Avx512F.IsSupported)
        {
            for (int p = 0; p < kc; p++, src += ldb, d += 32)
            {
                Avx512F.StoreAligned(d, Avx512F.LoadVector512(src));
                Avx512F.StoreAligned(d + 16, Avx512F.LoadVector512(src + 16));
            }
            return;
        }
        if (nr == NR && NR == 16 && Avx.IsSupported)
        {
            for (int p = 0; p < kc; p++, src += ldb, d += 16)
            {
                Avx.StoreAligned(d, Avx.LoadVector256(src));
                Avx.StoreAligned(d + 8, Avx.LoadVector256(src + 8));
            }
            return;
        }
        if (nr == NR && NR % 4 == 0 && Vector128.IsHardwareAccelerated)
        {
            // The 128-bit (NEON) tile: NR / 4 vector copies per k step.
            for (int p = 0; p < kc; p++, src += ldb, d += NR)
                for (int j = 0; j < NR; j += 4) Vector128.Load(src + j).StoreAligned(d + j);
            return;
        }
        for (int p = 0; p < kc; p++, src += ldb, d += NR)
        {
            int j = 0;
            for (; j < nr; j++) d[j] = src[j];
            for (; j < NR; j++) d[j] = 0f;
        }
    }

    /// <summary>
    /// B stored n x k (the usual nn.Linear weight, y = x W^T): the panel is a transpose of nr rows. Full
    /// 8 x 8 blocks go through an AVX register transpose; the ragged rest is scalar.
    /// </summary>
    private static void PackBTransposed(float* src, nint ldb, int kc, int nr, int NR, float* d)
    {
        int p = 0;
        if (Avx.IsSupported && nr == NR && NR % 8 == 0)
        {
            for (; p + 8 <= kc; p += 8)
                for (int j = 0; j < NR; j += 8)
                    Transpose8x8(src + (nint)j * ldb + p, ldb, d + (nint)p * NR + j, NR);
        }
        for (int j = 0; j < nr; j++)
        {
            float* s = src + (nint)j * ldb;
            for (int q = p; q < kc; q++) d[(nint)q * NR + j] = s[q];
        }
        for (int j = nr; j < NR; j++)
            for (int q = p; q < kc; q++) d[(nint)q * NR + j] = 0f;
    }

    /// <summary>dst[c * ldd + r] = src[r * lds + c] for a 4-row x 8-column block (four floats per output row).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x8(float* s, nint lds, float* d, nint ldd)
    {
        var r0 = Avx.LoadVector256(s); var r1 = Avx.LoadVector256(s + lds);
        var r2 = Avx.LoadVector256(s + 2 * lds); var r3 = Avx.LoadVector256(s + 3 * lds);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        Sse.Store(d, u0.GetLower()); Sse.Store(d + 4 * ldd, u0.GetUpper());
        Sse.Store(d + ldd, u1.GetLower()); Sse.Store(d + 5 * ldd, u1.GetUpper());
        Sse.Store(d + 2 * ldd, u2.GetLower()); Sse.Store(d + 6 * ldd, u2.GetUpper());
        Sse.Store(d + 3 * ldd, u3.GetLower()); Sse.Store(d + 7 * ldd, u3.GetUpper());
    }

    /// <summary>dst[c * ldd + r] = src[r * lds + c] for an 8 x 8 block (the classic unpack/shuffle/permute sequence).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* s, nint lds, float* d, nint ldd)
    {
        var r0 = Avx.LoadVector256(s); var r1 = Avx.LoadVector256(s + lds);
        var r2 = Avx.LoadVector256(s + 2 * lds); var r3 = Avx.LoadVector256(s + 3 * lds);
        var r4 = Avx.LoadVector256(s + 4 * lds); var r5 = Avx.LoadVector256(s + 5 * lds);
        var r6 = Avx.LoadVector256(s + 6 * lds); var r7 = Avx.LoadVector256(s + 7 * lds);
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }
}
