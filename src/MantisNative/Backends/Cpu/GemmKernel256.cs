using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MantisNative.Backends.Cpu;

/// <summary>
/// AVX2/FMA GEMM micro-kernel for CPUs without AVX-512: a 6 x 16 tile in 12 ymm accumulators
/// (+2 B, +1 broadcast = 15 of 16 registers).
/// </summary>
internal static unsafe class GemmKernel256
{
    public const int MR = 6, NR = 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default;
        Vector256<float> c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        Vector256<float> c50 = default, c51 = default;
        Vector256<float> a0, b0, b1;
        // The C tile is read only after the k loop: start fetching its six rows (64 bytes each) now, so
        // the misses overlap the FMAs instead of stalling the stores.
        for (int i = 0; i < MR; i++) Sse.Prefetch0(c + i * ldc);
        for (int p = 0; p < kc; p++)
        {
            b0 = Avx.LoadVector256(b);
            b1 = Avx.LoadVector256(b + 8);
            a0 = Vector256.Create(a[0]); c00 = Fma.MultiplyAdd(a0, b0, c00); c01 = Fma.MultiplyAdd(a0, b1, c01);
            a0 = Vector256.Create(a[1]); c10 = Fma.MultiplyAdd(a0, b0, c10); c11 = Fma.MultiplyAdd(a0, b1, c11);
            a0 = Vector256.Create(a[2]); c20 = Fma.MultiplyAdd(a0, b0, c20); c21 = Fma.MultiplyAdd(a0, b1, c21);
            a0 = Vector256.Create(a[3]); c30 = Fma.MultiplyAdd(a0, b0, c30); c31 = Fma.MultiplyAdd(a0, b1, c31);
            a0 = Vector256.Create(a[4]); c40 = Fma.MultiplyAdd(a0, b0, c40); c41 = Fma.MultiplyAdd(a0, b1, c41);
            a0 = Vector256.Create(a[5]); c50 = Fma.MultiplyAdd(a0, b0, c50); c51 = Fma.MultiplyAdd(a0, b1, c51);
            a += MR;
            b += ldb;
        }
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        bool betaZero = beta == 0f;
        Store256(c + 0 * ldc, c00, c01, va, vb, betaZero);
        Store256(c + 1 * ldc, c10, c11, va, vb, betaZero);
        Store256(c + 2 * ldc, c20, c21, va, vb, betaZero);
        Store256(c + 3 * ldc, c30, c31, va, vb, betaZero);
        Store256(c + 4 * ldc, c40, c41, va, vb, betaZero);
        Store256(c + 5 * ldc, c50, c51, va, vb, betaZero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256(float* c, Vector256<float> x0, Vector256<float> x1, Vector256<float> va, Vector256<float> vb, bool betaZero)
    {
        if (betaZero)
        {
            Avx.Store(c, Avx.Multiply(x0, va));
            Avx.Store(c + 8, Avx.Multiply(x1, va));
        }
        else
        {
            Avx.Store(c, Fma.MultiplyAdd(x0, va, Avx.Multiply(Avx.LoadVector256(c), vb)));
            Avx.Store(c + 8, Fma.MultiplyAdd(x1, va, Avx.Multiply(Avx.LoadVector256(c + 8), vb)));
        }
    }
}
