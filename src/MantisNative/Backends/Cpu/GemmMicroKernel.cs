using System.Runtime.CompilerServices;

namespace MantisNative.Backends.Cpu;

/// <summary>
/// Runs one tile of C on a family's micro-kernel (AVX-512 12x32, AVX2/FMA 6x16, 128-bit NEON 8x12, scalar
/// 4x4) and handles partial tiles at the right and bottom edges. The family comes from the caller, read
/// once per GEMM, so the packed layouts (MR x NR, zero-padded by GemmPacking) always match the kernel.
/// </summary>
internal static unsafe class GemmMicroKernel
{
    private const int MaxTile = 12 * 32;

    /// <summary>One mr x nr tile (mr &lt;= MR, nr &lt;= NR) of C from an MR-row packed A panel and an NR-column packed B panel.</summary>
    /// <remarks>
    /// SkipLocalsInit: the edge scratch is fully written by the kernel before it is read, and zeroing its
    /// 1.6 KB on every edge tile cost ~4 % of the tiny model's training step (small GEMMs are mostly edges).
    /// </remarks>
    public static void Tile(GemmFamily f, int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta, int mr, int nr)
        => Tile(f, kc, a, b, f.NR, c, ldc, alpha, beta, mr, nr);

    /// <summary>As above with B's k steps <paramref name="ldb"/> floats apart (a full-width B panel read in place when ldb != NR).</summary>
    [SkipLocalsInit]
    public static void Tile(GemmFamily f, int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta, int mr, int nr)
    {
        if (mr == f.MR && nr == f.NR)
        {
            FullTile(f.Isa, kc, a, b, ldb, c, ldc, alpha, beta);
            return;
        }
        // Edge tile: the packed panels are zero-padded, so compute the full tile into scratch and copy the
        // valid part. Edges are O(m + n) of O(m n) tiles, so the extra copy is noise.
        float* tmp = stackalloc float[MaxTile + 16];
        tmp = (float*)(((nint)tmp + 63) & ~(nint)63);
        int ntr = f.NR;
        FullTile(f.Isa, kc, a, b, ldb, tmp, ntr, 1f, 0f);
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
    private static void FullTile(CpuIsa isa, int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta)
    {
        switch (isa)
        {
            case CpuIsa.Avx512: GemmKernel512.Tile(kc, a, b, ldb, c, ldc, alpha, beta); break;
            case CpuIsa.Avx2: GemmKernel256.Tile(kc, a, b, ldb, c, ldc, alpha, beta); break;
            case CpuIsa.Neon: GemmKernel128.Tile(kc, a, b, ldb, c, ldc, alpha, beta); break;
            default: GemmKernelScalar.Tile(kc, a, b, ldb, c, ldc, alpha, beta); break;
        }
    }
}
