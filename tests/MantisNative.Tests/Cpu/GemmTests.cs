using MantisNative.Backends.Cpu;
using NUnit.Framework;

namespace MantisNative.Tests.Cpu;

/// <summary>
/// Gemm.Sgemm / SgemmBatched against a double-precision reference.
/// Tolerance: inputs are uniform in [-1, 1]; fp32 accumulation of k &lt;= 257 products in blocked FMA order
/// gives a relative Frobenius error of about sqrt(k) * 2^-24 ~ 1e-7..1e-6 (worst case k * 2^-24 = 1.5e-5 is
/// not approached by random-sign data), so 1e-5 leaves a margin without hiding an indexing bug, which
/// shows up as an O(1) error.
/// </summary>
[TestFixtureSource(typeof(CpuIsaCases), nameof(CpuIsaCases.Supported))]
public class GemmTests(CpuIsa isa) : ForcedIsaFixture(isa)
{
    private const double Tolerance = 1e-5;
    private static readonly int[] Sizes = { 1, 3, 17, 64, 65, 257 };
    private static readonly (float Alpha, float Beta)[] Scalars = { (1f, 0f), (0.5f, 1f), (-1.25f, 0.75f), (2f, -0.5f) };

    /// <summary>Every size in every position, all four transposes; alpha/beta and padded leading dimensions vary with the case.</summary>
    [Test]
    public void MatchesReferenceOverSizeGrid(
        [ValueSource(nameof(Sizes))] int m, [ValueSource(nameof(Sizes))] int n, [ValueSource(nameof(Sizes))] int k,
        [Values] bool transA, [Values] bool transB)
    {
        int caseId = Array.IndexOf(Sizes, m) * 36 + Array.IndexOf(Sizes, n) * 6 + Array.IndexOf(Sizes, k) + (transA ? 1 : 0) + (transB ? 2 : 0);
        var (alpha, beta) = Scalars[caseId % Scalars.Length];
        int pad = caseId % 3 == 0 ? 5 : 0; // every third case has lda/ldb/ldc larger than the minimum
        Check(transA, transB, m, n, k, alpha, beta, pad, seed: caseId);
    }

    [TestCase(false, false)]
    [TestCase(true, true)]
    public void LeadingDimensionsLargerThanRowsAreRespected(bool transA, bool transB)
    {
        Check(transA, transB, 130, 97, 300, 1f, 0.5f, pad: 37, seed: 1);
        Check(transA, transB, 5, 7, 9, 1f, 0.5f, pad: 11, seed: 2);
    }

    [TestCase(1, 1, 1)]
    [TestCase(1, 300, 257)]
    [TestCase(300, 1, 257)]
    [TestCase(17, 3, 5)]
    [TestCase(129, 257, 65)]
    public void BetaZeroIgnoresNaNInC(int m, int n, int k)
    {
        foreach (bool tA in new[] { false, true })
            foreach (bool tB in new[] { false, true })
            {
                var rng = new Random(m * 1000 + n + k);
                var a = GemmReference.Random(rng, (long)m * k);
                var b = GemmReference.Random(rng, (long)k * n);
                var c = new float[m * n];
                Array.Fill(c, float.NaN);
                var want = GemmReference.Sgemm(tA, tB, m, n, k, 1.5, a, tA ? m : k, b, tB ? k : n, 0, c, n);
                Gemm.Sgemm(tA, tB, m, n, k, 1.5f, a, tA ? m : k, b, tB ? k : n, 0f, c, n);
                Assert.That(c.Any(float.IsNaN), Is.False, $"NaN survived beta = 0 (transA={tA}, transB={tB})");
                Assert.That(GemmReference.RelativeError(c, want, m, n, n), Is.LessThanOrEqualTo(Tolerance));
            }
    }

    [Test]
    public void AlphaZeroOrEmptyKScalesC()
    {
        var c = new float[] { 1, 2, float.NaN, 4 };
        Gemm.Sgemm(false, false, 2, 2, 0, 1f, ReadOnlySpan<float>.Empty, 1, ReadOnlySpan<float>.Empty, 2, 0f, c, 2);
        Assert.That(c, Is.EqualTo(new float[] { 0, 0, 0, 0 }));
        c = new float[] { 1, 2, 3, 4 };
        var ab = new float[] { float.NaN, 1, 1, 1 };
        Gemm.Sgemm(false, false, 2, 2, 2, 0f, ab, ab, 2f, c);
        Assert.That(c, Is.EqualTo(new float[] { 2, 4, 6, 8 }), "alpha = 0 must not read A or B (BLAS convention)");
    }

    /// <summary>
    /// k = 4096: the kernel sums in KC-long blocks, so the error grows like sqrt(k) * 2^-24 ~ 4e-6 for random
    /// signs; 5e-5 keeps a 10x margin and stays far below the O(1) error of any indexing mistake.
    /// </summary>
    [TestCase(false, true)]
    [TestCase(true, false)]
    public void LargeKStaysAccurate(bool transA, bool transB)
    {
        Check(transA, transB, 37, 70, 4096, 1f, 0f, pad: 0, seed: 7, tolerance: 5e-5);
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void ThreadCountDoesNotChangeTheResult(int threads)
    {
        int saved = CpuParallel.Threads;
        try
        {
            CpuParallel.Threads = threads;
            Check(false, true, 200, 300, 520, 1f, 0f, pad: 0, seed: 11);
            Check(true, false, 300, 1100, 70, 0.5f, 2f, pad: 3, seed: 14);  // K steps alternate the double-buffered B panel
            Check(false, false, 1000, 300, 40, 1f, 0f, pad: 0, seed: 15);   // many M blocks, short K
            Check(false, true, 20, 2100, 40, 1f, 0.5f, pad: 1, seed: 16);   // n > NC (two column panels), m < one M block
            Check(true, false, 1, 1000, 300, 1f, 1f, pad: 0, seed: 12);
            Check(false, false, 1000, 1, 300, 1f, 1f, pad: 2, seed: 13);
        }
        finally { CpuParallel.Threads = saved; }
    }

    /// <summary>
    /// The threaded driver takes M blocks and B chunks dynamically, but each C element must still sum its K
    /// blocks in order, so any thread count gives exactly the one-thread bits (training is deterministic on
    /// any thread count). Shapes with several K steps (the two B buffers reused), several column panels, and a
    /// small row-major B read in place with a ragged last panel.
    /// </summary>
    [TestCase(false, false, 300, 200, 1000)]
    [TestCase(true, true, 250, 2100, 600)]
    [TestCase(false, false, 40, 70, 700)]
    [TestCase(true, false, 30, 45, 900)]
    public void ThreadedResultIsBitwiseTheOneThreadResult(bool transA, bool transB, int m, int n, int k)
    {
        var rng = new Random(m + n + k);
        var a = GemmReference.Random(rng, (long)m * k);
        var b = GemmReference.Random(rng, (long)k * n);
        var c0 = GemmReference.Random(rng, (long)m * n);
        int lda = transA ? m : k, ldb = transB ? k : n;
        int saved = CpuParallel.Threads;
        try
        {
            float[] Run(int threads) => SgemmOnThreads(threads, transA, transB, m, n, k, 0.75f, a, lda, b, ldb, 0.5f, c0);
            var one = Run(1);
            var want = GemmReference.Sgemm(transA, transB, m, n, k, 0.75f, a, lda, b, ldb, 0.5f, c0, n);
            Assert.That(GemmReference.RelativeError(one, want, m, n, n), Is.LessThanOrEqualTo(Tolerance), "one thread vs reference");
            foreach (int threads in new[] { 2, 3 })
                Assert.That(Run(threads), Is.EqualTo(one), $"{threads} threads differ from one thread");
        }
        finally { CpuParallel.Threads = saved; }
    }

    /// <summary>
    /// One worker delayed on its blocks (a slow or preempted vCPU): the others then claim the ready blocks out
    /// of order and run ahead, yet every C tile must still sum its K blocks in order, so the bits stay those of
    /// one thread. Shapes with many K steps (weight gradients), ragged edge tiles and a second column block.
    /// </summary>
    [TestCase(false, false, 131, 77, 1500)]
    [TestCase(true, false, 100, 130, 2300)]
    [TestCase(false, true, 250, 2100, 600)]
    [TestCase(true, true, 61, 45, 900)]
    public void DelayedWorkerStillGivesTheOneThreadBits(bool transA, bool transB, int m, int n, int k)
    {
        var rng = new Random(m * 7 + n + k);
        var a = GemmReference.Random(rng, (long)m * k);
        var b = GemmReference.Random(rng, (long)k * n);
        var c0 = GemmReference.Random(rng, (long)m * n);
        int lda = transA ? m : k, ldb = transB ? k : n;
        int saved = CpuParallel.Threads;
        try
        {
            float[] Run(int threads) => SgemmOnThreads(threads, transA, transB, m, n, k, 1.25f, a, lda, b, ldb, -0.5f, c0);
            var one = Run(1);
            foreach (int slow in new[] { 0, 1 })
            {
                GemmParallel.BeforeBlockForTests = (worker, step, item) => { if (worker == slow && (step + item) % 2 == 0) Thread.Sleep(1); };
                try
                {
                    foreach (int threads in new[] { 2, 3 })
                        Assert.That(Run(threads), Is.EqualTo(one), $"{threads} threads, worker {slow} delayed, differ from one thread");
                }
                finally { GemmParallel.BeforeBlockForTests = null; }
            }
        }
        finally { CpuParallel.Threads = saved; }
    }

    /// <summary>C = alpha op(A) op(B) + beta C0 on a copy of C0 with the given thread count (the caller restores it).</summary>
    private static float[] SgemmOnThreads(int threads, bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c0)
    {
        CpuParallel.Threads = threads;
        var c = (float[])c0.Clone();
        Gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
        return c;
    }

    /// <summary>Random shapes, transposes, scalars and paddings: catches combinations the grid does not list.</summary>
    [Test]
    public void RandomShapesMatchReference()
    {
        var rng = new Random(2024);
        for (int t = 0; t < 40; t++)
        {
            int m = 1 + rng.Next(t % 4 == 0 ? 8 : 400), n = 1 + rng.Next(t % 5 == 0 ? 8 : 400), k = 1 + rng.Next(600);
            var (alpha, beta) = Scalars[rng.Next(Scalars.Length)];
            Check(rng.Next(2) == 1, rng.Next(2) == 1, m, n, k, alpha, beta, pad: rng.Next(3) * 7, seed: t);
        }
    }

    [TestCase(8, 32, 128, 128, 0L, 1L)]     // tiny-model shapes, B broadcast (stride 0)
    [TestCase(12, 17, 65, 64, 1L, 0L)]      // A broadcast
    [TestCase(3, 64, 64, 257, 1L, 1L)]      // items large enough to be split internally
    [TestCase(5, 1, 33, 17, 1L, 1L)]        // GEMV items
    public unsafe void BatchedMatchesPerItemReference(int batch, int m, int n, int k, long aStrided, long bStrided)
    {
        foreach (bool tA in new[] { false, true })
            foreach (bool tB in new[] { false, true })
            {
                var rng = new Random(batch + m + n + k);
                int lda = tA ? m : k, ldb = tB ? k : n, ldc = n + 1;
                long sa = aStrided * m * k, sb = bStrided * k * n, sc = (long)m * ldc + 3;
                var a = GemmReference.Random(rng, sa * (batch - 1) + (long)m * k);
                var b = GemmReference.Random(rng, sb * (batch - 1) + (long)k * n);
                var c = GemmReference.Random(rng, sc * batch);
                var c0 = (float[])c.Clone();
                fixed (float* pa = a) fixed (float* pb = b) fixed (float* pc = c)
                    Gemm.SgemmBatched(batch, tA, tB, m, n, k, 0.75f, pa, lda, sa, pb, ldb, sb, 0.5f, pc, ldc, sc);
                for (int i = 0; i < batch; i++)
                {
                    var ai = a.AsSpan((int)(i * sa), m * k).ToArray();
                    var bi = b.AsSpan((int)(i * sb), k * n).ToArray();
                    var ci = c0.AsSpan((int)(i * sc), (m - 1) * ldc + n).ToArray();
                    var want = GemmReference.Sgemm(tA, tB, m, n, k, 0.75, ai, lda, bi, ldb, 0.5, ci, ldc);
                    Assert.That(GemmReference.RelativeError(c, want, m, n, ldc, (int)(i * sc)), Is.LessThanOrEqualTo(Tolerance),
                        $"item {i} (transA={tA}, transB={tB})");
                }
            }
    }

    [Test]
    public void SpanOverloadRejectsShortOperands()
    {
        var a = new float[6]; var b = new float[6]; var c = new float[3];
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
        Assert.Throws<ArgumentException>(() => Gemm.Sgemm(false, false, 2, 2, 3, 1f, a, 2, b, 2, 0f, new float[4], 2));
    }

    private static void Check(bool transA, bool transB, int m, int n, int k, float alpha, float beta, int pad, int seed,
        double tolerance = Tolerance)
    {
        var rng = new Random(seed);
        int lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        var a = GemmReference.Random(rng, (long)(transA ? k : m) * lda);
        var b = GemmReference.Random(rng, (long)(transB ? n : k) * ldb);
        var c = GemmReference.Random(rng, (long)m * ldc);
        var want = GemmReference.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        var guard = pad > 0 ? c[ldc - 1] : 0f; // the padding column of C must stay untouched
        Gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        double err = GemmReference.RelativeError(c, want, m, n, ldc);
        Assert.That(err, Is.LessThanOrEqualTo(tolerance), $"m={m} n={n} k={k} transA={transA} transB={transB} alpha={alpha} beta={beta} pad={pad}");
        if (pad > 0) Assert.That(c[ldc - 1], Is.EqualTo(guard), "wrote past n into C's padding");
    }
}
