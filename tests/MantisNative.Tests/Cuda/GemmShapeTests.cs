using MantisNative.Backends.Cuda;
using MantisNative.Interop;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

public class GemmShapeTests
{
    /// <summary>What cuBLASLt computes for a column-major description: D = op(A) op(B), batched.</summary>
    private static float[] RunColumnMajor(ColumnMajorGemm g, float[] a, float[] b, int batch, long cSize)
    {
        var c = new float[cSize];
        float At(ColumnMajorOperand o, float[] data, int bi, long i, long j) =>
            o.Op == CublasOperation.N ? data[bi * o.Stride + i + j * o.Ld] : data[bi * o.Stride + j + i * o.Ld];
        for (int bi = 0; bi < batch; bi++)
            for (long i = 0; i < g.M; i++)
                for (long j = 0; j < g.N; j++)
                {
                    float s = 0;
                    for (long k = 0; k < g.K; k++) s += At(g.A, a, bi, i, k) * At(g.B, b, bi, k, j);
                    c[bi * g.C.Stride + i + j * g.C.Ld] = s;
                }
        return c;
    }

    /// <summary>The row-major definition in GemmShape's documentation.</summary>
    private static float[] RunRowMajor(GemmShape s, float[] a, float[] b, long cSize)
    {
        var c = new float[cSize];
        for (int bi = 0; bi < s.Batch; bi++)
            for (int i = 0; i < s.M; i++)
                for (int j = 0; j < s.N; j++)
                {
                    float sum = 0;
                    for (int k = 0; k < s.K; k++)
                    {
                        float av = s.TransA ? a[bi * s.StrideA + k * s.LdaOrDefault + i] : a[bi * s.StrideA + i * s.LdaOrDefault + k];
                        float bv = s.TransB ? b[bi * s.StrideB + j * s.LdbOrDefault + k] : b[bi * s.StrideB + k * s.LdbOrDefault + j];
                        sum += av * bv;
                    }
                    c[bi * s.StrideC + i * s.LdcOrDefault + j] = sum;
                }
        return c;
    }

    [TestCase(false, false)]
    [TestCase(false, true)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void ColumnMajorRewriteComputesTheRowMajorProduct(bool ta, bool tb)
    {
        const int m = 3, n = 5, k = 4, batch = 2;
        int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 1;
        long sa = (long)lda * (ta ? k : m), sb = (long)ldb * (tb ? n : k), sc = (long)ldc * m;
        var shape = new GemmShape(m, n, k, ta, tb, lda, ldb, ldc, batch, sa, sb, sc);
        var rng = new Random(1);
        var a = Enumerable.Range(0, (int)(sa * batch)).Select(_ => (float)rng.Next(-3, 4)).ToArray();
        var b = Enumerable.Range(0, (int)(sb * batch)).Select(_ => (float)rng.Next(-3, 4)).ToArray();
        var cm = ColumnMajorGemm.From(shape);
        // cuBLASLt's first operand is our B, its second our A.
        var got = RunColumnMajor(cm, b, a, batch, sc * batch);
        var want = RunRowMajor(shape, a, b, sc * batch);
        Assert.That(got, Is.EqualTo(want));
    }

    [Test]
    public void LinearLayerShape()
    {
        // y[rows, out] = x[rows, in] W[out, in]^T
        var cm = ColumnMajorGemm.From(new GemmShape(M: 8, N: 16, K: 32, TransB: true));
        Assert.That((cm.M, cm.N, cm.K), Is.EqualTo((16L, 8L, 32L)));
        Assert.That(cm.A, Is.EqualTo(new ColumnMajorOperand(CublasOperation.T, 32, 16, 32, 0)));
        Assert.That(cm.B, Is.EqualTo(new ColumnMajorOperand(CublasOperation.N, 32, 8, 32, 0)));
        Assert.That(cm.C, Is.EqualTo(new ColumnMajorOperand(CublasOperation.N, 16, 8, 16, 0)));
    }

    [Test]
    public void InvalidShapesAreRejected()
    {
        Assert.Throws<ArgumentException>(() => ColumnMajorGemm.From(new GemmShape(0, 1, 1)));
        Assert.Throws<ArgumentException>(() => ColumnMajorGemm.From(new GemmShape(2, 2, 4, Lda: 3)));
        Assert.Throws<ArgumentException>(() => ColumnMajorGemm.From(new GemmShape(2, 2, 2, Batch: 0)));
        Assert.That(new GemmShape(2, 3, 4, Batch: 5).Flops, Is.EqualTo(2L * 2 * 3 * 4 * 5));
    }
}
