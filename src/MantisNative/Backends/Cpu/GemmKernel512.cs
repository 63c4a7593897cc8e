using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MantisNative.Backends.Cpu;

/// <summary>
/// AVX-512 GEMM micro-kernel: a 12 x 32 tile of C kept in 24 zmm accumulators (+2 for the B row, +1 for
/// the broadcast A value = 27 of 32 registers, so the JIT never spills). Per k step it loads one 32-wide
/// row of packed B and broadcasts 12 values of packed A: 24 FMAs for 14 loads, well inside Zen 4/5's
/// two loads per cycle, so the FMA pipes are the only limit.
/// </summary>
internal static unsafe class GemmKernel512
{
    public const int MR = 12, NR = 32;

    /// <summary>C[0..12, 0..32] = alpha * (packed A panel x B panel) + beta * C (beta == 0: C not read).</summary>
    /// <param name="ldb">Floats between B's k steps: NR for a packed panel, the row length for a row-major B read in place.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c00 = default, c01 = default;
        Vector512<float> c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default;
        Vector512<float> c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default;
        Vector512<float> c70 = default, c71 = default;
        Vector512<float> c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default;
        Vector512<float> c100 = default, c101 = default;
        Vector512<float> c110 = default, c111 = default;
        Vector512<float> a0, b0, b1;
        for (int p = 0; p < kc; p++)
        {
            b0 = Avx512F.LoadVector512(b);
            b1 = Avx512F.LoadVector512(b + 16);
            a0 = Vector512.Create(a[0]); c00 = Avx512F.FusedMultiplyAdd(a0, b0, c00); c01 = Avx512F.FusedMultiplyAdd(a0, b1, c01);
            a0 = Vector512.Create(a[1]); c10 = Avx512F.FusedMultiplyAdd(a0, b0, c10); c11 = Avx512F.FusedMultiplyAdd(a0, b1, c11);
            a0 = Vector512.Create(a[2]); c20 = Avx512F.FusedMultiplyAdd(a0, b0, c20); c21 = Avx512F.FusedMultiplyAdd(a0, b1, c21);
            a0 = Vector512.Create(a[3]); c30 = Avx512F.FusedMultiplyAdd(a0, b0, c30); c31 = Avx512F.FusedMultiplyAdd(a0, b1, c31);
            a0 = Vector512.Create(a[4]); c40 = Avx512F.FusedMultiplyAdd(a0, b0, c40); c41 = Avx512F.FusedMultiplyAdd(a0, b1, c41);
            a0 = Vector512.Create(a[5]); c50 = Avx512F.FusedMultiplyAdd(a0, b0, c50); c51 = Avx512F.FusedMultiplyAdd(a0, b1, c51);
            a0 = Vector512.Create(a[6]); c60 = Avx512F.FusedMultiplyAdd(a0, b0, c60); c61 = Avx512F.FusedMultiplyAdd(a0, b1, c61);
            a0 = Vector512.Create(a[7]); c70 = Avx512F.FusedMultiplyAdd(a0, b0, c70); c71 = Avx512F.FusedMultiplyAdd(a0, b1, c71);
            a0 = Vector512.Create(a[8]); c80 = Avx512F.FusedMultiplyAdd(a0, b0, c80); c81 = Avx512F.FusedMultiplyAdd(a0, b1, c81);
            a0 = Vector512.Create(a[9]); c90 = Avx512F.FusedMultiplyAdd(a0, b0, c90); c91 = Avx512F.FusedMultiplyAdd(a0, b1, c91);
            a0 = Vector512.Create(a[10]); c100 = Avx512F.FusedMultiplyAdd(a0, b0, c100); c101 = Avx512F.FusedMultiplyAdd(a0, b1, c101);
            a0 = Vector512.Create(a[11]); c110 = Avx512F.FusedMultiplyAdd(a0, b0, c110); c111 = Avx512F.FusedMultiplyAdd(a0, b1, c111);
            a += MR;
            b += ldb;
        }
        var va = Vector512.Create(alpha);
        var vb = Vector512.Create(beta);
        bool betaZero = beta == 0f;
        Store512(c + 0 * ldc, c00, c01, va, vb, betaZero);
        Store512(c + 1 * ldc, c10, c11, va, vb, betaZero);
        Store512(c + 2 * ldc, c20, c21, va, vb, betaZero);
        Store512(c + 3 * ldc, c30, c31, va, vb, betaZero);
        Store512(c + 4 * ldc, c40, c41, va, vb, betaZero);
        Store512(c + 5 * ldc, c50, c51, va, vb, betaZero);
        Store512(c + 6 * ldc, c60, c61, va, vb, betaZero);
        Store512(c + 7 * ldc, c70, c71, va, vb, betaZero);
        Store512(c + 8 * ldc, c80, c81, va, vb, betaZero);
        Store512(c + 9 * ldc, c90, c91, va, vb, betaZero);
        Store512(c + 10 * ldc, c100, c101, va, vb, betaZero);
        Store512(c + 11 * ldc, c110, c111, va, vb, betaZero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(float* c, Vector512<float> x0, Vector512<float> x1, Vector512<float> va, Vector512<float> vb, bool betaZero)
    {
        if (betaZero)
        {
            Avx512F.Store(c, Avx512F.Multiply(x0, va));
            Avx512F.Store(c + 16, Avx512F.Multiply(x1, va));
        }
        else
        {
            Avx512F.Store(c, Avx512F.FusedMultiplyAdd(x0, va, Avx512F.Multiply(Avx512F.LoadVector512(c), vb)));
            Avx512F.Store(c + 16, Avx512F.FusedMultiplyAdd(x1, va, Avx512F.Multiply(Avx512F.LoadVector512(c + 16), vb)));
        }
    }
}
