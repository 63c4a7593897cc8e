namespace MantisNative.Backends.Cpu;

/// <summary>
/// Multi-threaded GEMM as independent tiles of C: each work item computes C[rows, cols] = op(A)[rows, :] *
/// op(B)[:, cols] with the single-threaded blocked nest and its own thread's pack buffers. One fork-join per
/// call and no barriers inside: on a machine shared with other processes a descheduled thread then delays
/// only its own tiles, and items are handed out dynamically (about three per thread) so the other threads
/// take up the slack. The price is packing A once per column stripe and B once per row stripe, a few
/// percent at the sizes that reach this path.
/// </summary>
internal sealed unsafe class GemmParallel
{
    private const int MinStripeCols = 256, MinStripeRows = 96;

    [ThreadStatic] private static GemmParallel? _cached;

    // One job per calling thread, reused, so a call allocates nothing.
    private bool _transA, _transB;
    private float* _a, _b, _c;
    private nint _lda, _ldb, _ldc;
    private int _m, _n, _k, _rowStripes, _colStripes;
    private float _alpha, _beta;
    private readonly Action<int> _item;

    private GemmParallel() => _item = RunItem;

    public static void Run(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        var (rows, cols) = Split(m, n, threads);
        if (rows * cols <= 1)
        {
            GemmBlocked.Run(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        var job = _cached ??= new GemmParallel();
        job._transA = transA; job._transB = transB; job._a = a; job._b = b; job._c = c;
        job._lda = lda; job._ldb = ldb; job._ldc = ldc; job._m = m; job._n = n; job._k = k;
        job._alpha = alpha; job._beta = beta; job._rowStripes = rows; job._colStripes = cols;
        CpuParallel.For(rows * cols, job._item, threads);
    }

    /// <summary>Row and column stripe counts: about 3 items per thread, cutting the longer side first.</summary>
    internal static (int Rows, int Cols) Split(int m, int n, int threads)
    {
        if (threads <= 1) return (1, 1);
        int target = 3 * threads;
        int maxCols = Math.Max(1, n / MinStripeCols), maxRows = Math.Max(1, m / MinStripeRows);
        int cols, rows;
        if (n >= m)
        {
            cols = Math.Min(target, maxCols);
            rows = Math.Min(GemmBlocked.CeilDiv(target, cols), maxRows);
        }
        else
        {
            rows = Math.Min(target, maxRows);
            cols = Math.Min(GemmBlocked.CeilDiv(target, rows), maxCols);
        }
        return (rows, cols);
    }

    private void RunItem(int item)
    {
        int MR = GemmMicroKernel.MR, NR = GemmMicroKernel.NR;
        int ri = item / _colStripes, ci = item % _colStripes;
        // Stripe edges on MR / NR multiples so only the last stripe has partial micro-tiles.
        int r0 = Edge(_m, ri, _rowStripes, MR), r1 = Edge(_m, ri + 1, _rowStripes, MR);
        int c0 = Edge(_n, ci, _colStripes, NR), c1 = Edge(_n, ci + 1, _colStripes, NR);
        if (r1 <= r0 || c1 <= c0) return;
        float* a = _transA ? _a + r0 : _a + r0 * _lda;
        float* b = _transB ? _b + c0 * _ldb : _b + c0;
        GemmBlocked.Run(_transA, _transB, r1 - r0, c1 - c0, _k, _alpha, a, _lda, b, _ldb, _beta, _c + r0 * _ldc + c0, _ldc);
    }

    private static int Edge(int size, int i, int parts, int align)
    {
        if (i >= parts) return size;
        return Math.Min(size, (int)((long)size * i / parts) / align * align);
    }
}
