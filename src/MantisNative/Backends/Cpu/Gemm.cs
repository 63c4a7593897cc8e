namespace MantisNative.Backends.Cpu;

/// <summary>
/// Single-precision GEMM, row-major: C = alpha * op(A) * op(B) + beta * C, op(A) is m x k, op(B) is k x n.
/// A is stored m x k (lda >= k) or, transposed, k x m (lda >= m); likewise B. beta == 0 ignores C's old contents (NaN included).
/// </summary>
/// <remarks>
/// Large problems go through the packed, cache-blocked path (<see cref="GemmBlocked"/>), split into independent
/// tiles of C across threads (<see cref="GemmParallel"/>);
/// vectors and tiny problems through <see cref="GemmSmall"/>. Neither allocates per call.
/// </remarks>
internal static class Gemm
{
    /// <summary>Per-item work (multiply-adds) below which a batched GEMM parallelises over items instead of inside them.</summary>
    private const long BatchItemParallelWork = 1L << 22;

    /// <summary>Multiply-adds per thread below which extra threads cost more than they give (~5 us of work).</summary>
    private const long MinWorkPerThread = 1L << 19;

    public static unsafe void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
        => SgemmCore(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, CpuParallel.Threads);

    /// <summary>Span overload; lengths are checked against the shapes and leading dimensions.</summary>
    public static unsafe void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        CheckOperand(nameof(a), a.Length, transA ? k : m, transA ? m : k, lda);
        CheckOperand(nameof(b), b.Length, transB ? n : k, transB ? k : n, ldb);
        CheckOperand(nameof(c), c.Length, m, n, ldc);
        fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
            Sgemm(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    /// <summary>Span overload with dense leading dimensions (lda, ldb, ldc equal to the stored row lengths).</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, ReadOnlySpan<float> b, float beta, Span<float> c)
        => Sgemm(transA, transB, m, n, k, alpha, a, transA ? m : k, b, transB ? k : n, beta, c, n);

    /// <summary>Batched GEMM with element strides between batch items; a stride of 0 broadcasts that operand.</summary>
    public static unsafe void SgemmBatched(int batch, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, long strideA, float* b, int ldb, long strideB, float beta, float* c, int ldc, long strideC)
    {
        if (batch <= 0) return;
        int threads = CpuParallel.Threads;
        // Many small items (attention heads): one item per thread beats splitting each item. Items that
        // share an output (strideC == 0) must run in order.
        bool perItem = threads > 1 && batch > 1 && strideC != 0 && (long)m * n * k < BatchItemParallelWork;
        if (!perItem)
        {
            for (int i = 0; i < batch; i++)
                SgemmCore(transA, transB, m, n, k, alpha, a + i * strideA, lda, b + i * strideB, ldb, beta, c + i * strideC, ldc, threads);
            return;
        }
        var pa = (nint)a; var pb = (nint)b; var pc = (nint)c;
        CpuParallel.For(batch, i => SgemmCore(transA, transB, m, n, k, alpha,
            (float*)pa + i * strideA, lda, (float*)pb + i * strideB, ldb, beta, (float*)pc + i * strideC, ldc, 1));
    }

    internal static unsafe void SgemmCore(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"negative GEMM shape m={m}, n={n}, k={k}");
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f)
        {
            ScaleC(m, n, beta, c, ldc);
            return;
        }
        // Fork-join costs microseconds (more when workers sleep): only split work that is worth it.
        long work = (long)m * n * k;
        if (work < (long)threads * MinWorkPerThread) threads = (int)Math.Max(1, work / MinWorkPerThread);
        var family = GemmFamily.Active; // once per call: packing and kernel must agree on the tile
        if (GemmSmall.Applies(m, n, k))
            GemmSmall.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
        else
            GemmParallel.Run(family, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    }

    /// <summary>C = beta * C, with beta == 0 writing zeros (not 0 * NaN).</summary>
    private static unsafe void ScaleC(int m, int n, float beta, float* c, int ldc)
    {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (nint)i * ldc, n);
            if (beta == 0f) row.Clear();
            else System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    private static void CheckOperand(string name, int length, int rows, int cols, int ld)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"GEMM operand {name}: leading dimension {ld} is less than its row length {cols}", name);
        long need = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < need)
            throw new ArgumentException($"GEMM operand {name}: {length} elements, but {rows} x {cols} with leading dimension {ld} needs {need}", name);
    }
}
