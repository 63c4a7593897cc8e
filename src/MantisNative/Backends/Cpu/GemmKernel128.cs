using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MantisNative.Backends.Cpu;

/// <summary>
/// 128-bit GEMM micro-kernel for ARM64 NEON (AdvSimd) through the portable <see cref="Vector128"/> API:
/// an 8 x 12 tile in 24 accumulators (+3 B, +1 broadcast = 28 of NEON's 32 vector registers). Per k step
/// 3 loads of B and 8 broadcast loads of A (ld1r) feed 24 FMAs (fmla). On x86 the same code compiles to
/// SSE/AVX (FMA when present), which is how the tests exercise it on any machine.
/// </summary>
internal static unsafe class GemmKernel128
{
    public const int MR = 8, NR = 12;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int kc, float* a, float* b, nint ldb, float* c, nint ldc, float alpha, float beta)
    {
        Vector128<float> c00 = default, c01 = default, c02 = default;
        Vector128<float> c10 = default, c11 = default, c12 = default;
        Vector128<float> c20 = default, c21 = default, c22 = default;
        Vector128<float> c30 = default, c31 = default, c32 = default;
        Vector128<float> c40 = default, c41 = default, c42 = default;
        Vector128<float> c50 = default, c51 = default, c52 = default;
        Vector128<float> c60 = default, c61 = default, c62 = default;
        Vector128<float> c70 = default, c71 = default, c72 = default;
        Vector128<float> a0, b0, b1, b2;
        for (int p = 0; p < kc; p++)
        {
            b0 = Vector128.Load(b);
            b1 = Vector128.Load(b + 4);
            b2 = Vector128.Load(b + 8);
            a0 = Vector128.Create(a[0]); c00 = Fma(a0, b0, c00); c01 = Fma(a0, b1, c01); c02 = Fma(a0, b2, c02);
            a0 = Vector128.Create(a[1]); c10 = Fma(a0, b0, c10); c11 = Fma(a0, b1, c11); c12 = Fma(a0, b2, c12);
            a0 = Vector128.Create(a[2]); c20 = Fma(a0, b0, c20); c21 = Fma(a0, b1, c21); c22 = Fma(a0, b2, c22);
            a0 = Vector128.Create(a[3]); c30 = Fma(a0, b0, c30); c31 = Fma(a0, b1, c31); c32 = Fma(a0, b2, c32);
            a0 = Vector128.Create(a[4]); c40 = Fma(a0, b0, c40); c41 = Fma(a0, b1, c41); c42 = Fma(a0, b2, c42);
            a0 = Vector128.Create(a[5]); c50 = Fma(a0, b0, c50); c51 = Fma(a0, b1, c51); c52 = Fma(a0, b2, c52);
            a0 = Vector128.Create(a[6]); c60 = Fma(a0, b0, c60); c61 = Fma(a0, b1, c61); c62 = Fma(a0, b2, c62);
            a0 = Vector128.Create(a[7]); c70 = Fma(a0, b0, c70); c71 = Fma(a0, b1, c71); c72 = Fma(a0, b2, c72);
            a += MR;
            b += ldb;
        }
        var va = Vector128.Create(alpha);
        var vb = Vector128.Create(beta);
        bool betaZero = beta == 0f;
        Store(c + 0 * ldc, c00, c01, c02, va, vb, betaZero);
        Store(c + 1 * ldc, c10, c11, c12, va, vb, betaZero);
        Store(c + 2 * ldc, c20, c21, c22, va, vb, betaZero);
        Store(c + 3 * ldc, c30, c31, c32, va, vb, betaZero);
        Store(c + 4 * ldc, c40, c41, c42, va, vb, betaZero);
        Store(c + 5 * ldc, c50, c51, c52, va, vb, betaZero);
        Store(c + 6 * ldc, c60, c61, c62, va, vb, betaZero);
        Store(c + 7 * ldc, c70, c71, c72, va, vb, betaZero);
    }

    /// <summary>a * b + c, fused where the hardware has it (fmla on ARM64, vfmadd on x86 with FMA).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Fma(Vector128<float> a, Vector128<float> b, Vector128<float> c) => Vector128.FusedMultiplyAdd(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector128<float> x0, Vector128<float> x1, Vector128<float> x2, Vector128<float> va, Vector128<float> vb, bool betaZero)
    {
        if (betaZero)
        {
            (x0 * va).Store(c);
            (x1 * va).Store(c + 4);
            (x2 * va).Store(c + 8);
        }
        else
        {
            Fma(x0, va, Vector128.Load(c) * vb).Store(c);
            Fma(x1, va, Vector128.Load(c + 4) * vb).Store(c + 4);
            Fma(x2, va, Vector128.Load(c + 8) * vb).Store(c + 8);
        }
    }
}
