using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace MantisNative.Backends.Cpu;

/// <summary>
/// GEMMs too small or too thin to repay packing: m == 1 (decode-time GEMV), n == 1, or a tiny total
/// volume. Each output row is a GEMV y = alpha * x^T M + beta * y computed straight from the operands:
/// "axpy form" when M's rows are contiguous along the output (row-major B), "dot form" when its columns
/// are (transposed B, i.e. nn.Linear weights).
/// </summary>
internal static unsafe class GemmSmall
{
    /// <summary>Below this m*n*k the blocked path's packing and fork-join cost more than they save.</summary>
    public const long MaxVolume = 32 * 32 * 32;

    /// <summary>Below this much work (multiply-adds) a GEMV stays on one thread.</summary>
    private const long ParallelWork = 1 << 16;

    public static bool Applies(int m, int n, int k) => m == 1 || n == 1 || (long)m * n * k <= MaxVolume;

    public static void Run(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        if (n == 1 && m > 1)
        {
            ColumnVector(transA, transB, m, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
            return;
        }
        bool dotForm = transB;
        if (m == 1)
        {
            float* x = transA ? Gather(a, lda, k, GemmBuffers.Current.Scratch(k)) : a;
            Gemv(dotForm, k, n, alpha, x, b, ldb, beta, c, threads);
            return;
        }
        // Several short rows: one GEMV per row, rows spread over threads when there is enough work.
        var pa = (nint)a; var pb = (nint)b; var pc = (nint)c;
        int rowThreads = (long)m * n * k >= ParallelWork ? threads : 1;
        CpuParallel.For(m, i =>
        {
            float* A = (float*)pa;
            float* x = transA ? Gather(A + i, lda, k, GemmBuffers.Current.Scratch(k)) : A + (nint)i * lda;
            GemvRange(dotForm, k, alpha, x, (float*)pb, ldb, beta, (float*)pc + (nint)i * ldc, 0, n);
        }, rowThreads);
    }

    /// <summary>n == 1: C[:,0] = op(A) x with x = op(B)[:,0]; the roles swap, C's column is a strided output.</summary>
    private static void ColumnVector(bool transA, bool transB, int m, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        float* scratch = GemmBuffers.Current.Scratch((long)k + m);
        float* x = transB ? b : Gather(b, ldb, k, scratch); // B is 1 x k when transposed, so contiguous
        float* y = ldc == 1 ? c : scratch + k;
        if (ldc != 1 && beta != 0f) Gather(c, ldc, m, y);
        // M(p, i) = op(A)[i, p]: rows contiguous along i when A is stored transposed (k x m).
        Gemv(!transA, k, m, alpha, x, a, lda, beta, y, threads);
        if (ldc != 1)
            for (int i = 0; i < m; i++) c[(nint)i * ldc] = y[i];
    }

    private static float* Gather(float* src, nint stride, int count, float* dst)
    {
        for (int i = 0; i < count; i++) dst[i] = src[i * stride];
        return dst;
    }

    /// <summary>y[0..len) = alpha * x^T M + beta * y, split over threads by output ranges when large.</summary>
    private static void Gemv(bool dotForm, int k, int len, float alpha, float* x, float* mat, nint ld, float beta, float* y, int threads)
    {
        if ((long)k * len < ParallelWork || threads <= 1)
        {
            GemvRange(dotForm, k, alpha, x, mat, ld, beta, y, 0, len);
            return;
        }
        int chunks = Math.Min(threads * 4, Math.Max(1, len / 32));
        var px = (nint)x; var pm = (nint)mat; var py = (nint)y;
        CpuParallel.For(chunks, ch =>
        {
            // 32-aligned boundaries keep every chunk's vector loop whole.
            int j0 = (int)((long)len * ch / chunks) & ~31, j1 = ch == chunks - 1 ? len : (int)((long)len * (ch + 1) / chunks) & ~31;
            if (j1 > j0) GemvRange(dotForm, k, alpha, (float*)px, (float*)pm, ld, beta, (float*)py, j0, j1);
        }, threads);
    }

    private static void GemvRange(bool dotForm, int k, float alpha, float* x, float* mat, nint ld, float beta, float* y, int j0, int j1)
    {
        if (dotForm)
        {
            var xs = new ReadOnlySpan<float>(x, k);
            int j4 = j0;
            // Four rows at a time share each load of x and keep four memory streams in flight.
            for (; j4 + 4 <= j1 && k >= 32; j4 += 4)
                Dot4(k, alpha, x, mat + (nint)j4 * ld, ld, beta, y + j4);
            for (int j = j4; j < j1; j++)
            {
                float s = alpha * TensorPrimitives.Dot(xs, new ReadOnlySpan<float>(mat + (nint)j * ld, k));
                y[j] = beta == 0f ? s : s + beta * y[j];
            }
            return;
        }
        int jj = j0;
        // 32 outputs at a time in four vector accumulators: M is read once, y once.
        for (; jj + 32 <= j1; jj += 32)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
            float* row = mat + jj;
            for (int p = 0; p < k; p++, row += ld)
            {
                var xp = Vector256.Create(x[p]);
                s0 = Vector256.FusedMultiplyAdd(Vector256.Load(row), xp, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 8), xp, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 16), xp, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Load(row + 24), xp, s3);
            }
            Finish(s0, alpha, beta, y + jj); Finish(s1, alpha, beta, y + jj + 8);
            Finish(s2, alpha, beta, y + jj + 16); Finish(s3, alpha, beta, y + jj + 24);
        }
        for (; jj + 8 <= j1; jj += 8)
        {
            Vector256<float> s0 = default;
            float* row = mat + jj;
            for (int p = 0; p < k; p++, row += ld) s0 = Vector256.FusedMultiplyAdd(Vector256.Load(row), Vector256.Create(x[p]), s0);
            Finish(s0, alpha, beta, y + jj);
        }
        for (; jj < j1; jj++)
        {
            float s = 0f;
            float* col = mat + jj;
            for (int p = 0; p < k; p++) s += x[p] * col[(nint)p * ld];
            y[jj] = beta == 0f ? alpha * s : alpha * s + beta * y[jj];
        }
    }

    private static void Dot4(int k, float alpha, float* x, float* m0, nint ld, float beta, float* y)
    {
        float* m1 = m0 + ld, m2 = m1 + ld, m3 = m2 + ld;
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int p = 0;
        for (; p + 8 <= k; p += 8)
        {
            var xv = Vector256.Load(x + p);
            s0 = Vector256.FusedMultiplyAdd(Vector256.Load(m0 + p), xv, s0);
            s1 = Vector256.FusedMultiplyAdd(Vector256.Load(m1 + p), xv, s1);
            s2 = Vector256.FusedMultiplyAdd(Vector256.Load(m2 + p), xv, s2);
            s3 = Vector256.FusedMultiplyAdd(Vector256.Load(m3 + p), xv, s3);
        }
        float d0 = Vector256.Sum(s0), d1 = Vector256.Sum(s1), d2 = Vector256.Sum(s2), d3 = Vector256.Sum(s3);
        for (; p < k; p++)
        {
            float xp = x[p];
            d0 += m0[p] * xp; d1 += m1[p] * xp; d2 += m2[p] * xp; d3 += m3[p] * xp;
        }
        if (beta == 0f)
        {
            y[0] = alpha * d0; y[1] = alpha * d1; y[2] = alpha * d2; y[3] = alpha * d3;
        }
        else
        {
            y[0] = alpha * d0 + beta * y[0]; y[1] = alpha * d1 + beta * y[1];
            y[2] = alpha * d2 + beta * y[2]; y[3] = alpha * d3 + beta * y[3];
        }
    }

    private static void Finish(Vector256<float> s, float alpha, float beta, float* y)
    {
        var r = s * alpha;
        if (beta != 0f) r += Vector256.Load(y) * beta;
        r.Store(y);
    }
}
