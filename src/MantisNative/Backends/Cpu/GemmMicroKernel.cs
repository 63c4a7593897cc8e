using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace MantisNative.Backends.Cpu;

/// <summary>
/// Picks the widest micro-kernel the CPU runs (AVX-512 12x32, AVX2/FMA 6x16, portable scalar 4x4) and
/// handles partial tiles at the right and bottom edges of C. The ISA checks are JIT-time constants, so the
/// dispatch costs nothing; MR and NR fix the packed layouts (GemmPacking pads panels to them with zeros).
/// </summary>
internal static unsafe class GemmMicroKernel
{
    public static int MR => Avx512F.IsSupported ? GemmKernel512.MR : Fma.IsSupported ? GemmKernel256.MR : ScalarMR;
    public static int NR => Avx512F.IsSupported ? GemmKernel512.NR : Fma.IsSupported ? GemmKernel256.NR : ScalarNR;

    private const int ScalarMR = 4, ScalarNR = 4;
    private const int MaxTile = 12 * 32;

    /// <summary>One mr x nr tile (mr &lt;= MR, nr &lt;= NR) of C from an MR-row packed A panel and an NR-column packed B panel.</summary>
    public static void Tile(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int mr, int nr)
    {
        if (mr == MR && nr == NR)
        {
            FullTile(kc, a, b, c, ldc, alpha, beta);
            return;
        }
        // Edge tile: the packed panels are zero-padded, so compute the full tile into scratch and copy the
        // valid part. Edges are O(m + n) of O(m n) tiles, so the extra copy is noise.
        float* tmp = stackalloc float[MaxTile + 16];
        tmp = (float*)(((nint)tmp + 63) & ~(nint)63);
        int ntr = NR;
        FullTile(kc, a, b, tmp, ntr, 1f, 0f);
        for (int i = 0; i < mr; i++)
        {
            float* cr = c + i * ldc, tr = tmp + i * ntr;
            if (beta == 0f)
                for (int j = 0; j < nr; j++) cr[j] = alpha * tr[j];
            else
                for (int j = 0; j < nr; j++) cr[j] = alpha * tr[j] + beta * cr[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FullTile(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        if (Avx512F.IsSupported) GemmKernel512.Tile(kc, a, b, c, ldc, alpha, beta);
        else if (Fma.IsSupported) GemmKernel256.Tile(kc, a, b, c, ldc, alpha, beta);
        else ScalarTile(kc, a, b, c, ldc, alpha, beta);
    }

    /// <summary>Portable fallback (no x86 SIMD): 16 scalar accumulators the JIT keeps in registers.</summary>
    private static void ScalarTile(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        float* acc = stackalloc float[ScalarMR * ScalarNR];
        for (int i = 0; i < ScalarMR * ScalarNR; i++) acc[i] = 0f;
        for (int p = 0; p < kc; p++, a += ScalarMR, b += ScalarNR)
            for (int i = 0; i < ScalarMR; i++)
            {
                float ai = a[i];
                float* row = acc + i * ScalarNR;
                row[0] += ai * b[0]; row[1] += ai * b[1]; row[2] += ai * b[2]; row[3] += ai * b[3];
            }
        for (int i = 0; i < ScalarMR; i++)
            for (int j = 0; j < ScalarNR; j++)
            {
                float* cij = c + i * ldc + j;
                *cij = beta == 0f ? alpha * acc[i * ScalarNR + j] : alpha * acc[i * ScalarNR + j] + beta * *cij;
            }
    }
}
