namespace MantisNative.Backends.Cpu;

/// <summary>
/// Single-precision GEMM, row-major: C = alpha * op(A) * op(B) + beta * C, op(A) is m x k, op(B) is k x n.
/// A is stored m x k (lda >= k) or, transposed, k x m (lda >= m); likewise B. beta == 0 ignores C's old contents (NaN included).
/// </summary>
public static class Gemm
{
    public static unsafe void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        // Placeholder reference implementation; the blocked SIMD kernel replaces it.
        var pa = (nint)a; var pb = (nint)b; var pc = (nint)c;
        CpuParallel.ForRange(m, 1, (i0, i1) =>
        {
            float* A = (float*)pa, B = (float*)pb, C = (float*)pc;
            for (int i = i0; i < i1; i++)
                for (int j = 0; j < n; j++)
                {
                    float s = 0;
                    for (int p = 0; p < k; p++)
                        s += (transA ? A[(long)p * lda + i] : A[(long)i * lda + p]) * (transB ? B[(long)j * ldb + p] : B[(long)p * ldb + j]);
                    ref float cij = ref C[(long)i * ldc + j];
                    cij = beta == 0 ? alpha * s : alpha * s + beta * cij;
                }
        });
    }

    /// <summary>Batched GEMM with element strides between batch items; a stride of 0 broadcasts that operand.</summary>
    public static unsafe void SgemmBatched(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, long strideA, float* b, int ldb, long strideB, float beta, float* c, int ldc, long strideC)
    {
        for (int i = 0; i < batch; i++)
            Sgemm(transA, transB, m, n, k, alpha, a + i * strideA, lda, b + i * strideB, ldb, beta, c + i * strideC, ldc);
    }
}
