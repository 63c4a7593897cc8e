using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu;

internal sealed unsafe partial class CpuOps
{
    public Tensor MatMul(Tensor a, Tensor b, MatMulGeometry geo, Shape outShape)
    {
        var (m, n, k, batch) = (geo.M, geo.N, geo.K, geo.Batch);
        var y = Tensor.Empty(outShape);
        long sA = (long)m * k, sB = geo.Shared ? 0 : (long)k * n, sC = (long)m * n;
        if (geo.Shared && !geo.TransA)
            Gemm.Sgemm(false, geo.TransB, (int)(batch * m), n, k, 1f, a.Data, geo.Lda, b.Data, geo.Ldb, 0f, y.Data, n);
        else
            Gemm.SgemmBatched((int)batch, geo.TransA, geo.TransB, m, n, k, 1f, a.Data, geo.Lda, sA, b.Data, geo.Ldb, sB, 0f, y.Data, n, sC);
        return y;
    }

    public Tensor MatMulBackwardA(Tensor g, Tensor a, Tensor b, MatMulGeometry geo)
    {
        var (m, n, k, batch, ldb) = (geo.M, geo.N, geo.K, geo.Batch, geo.Ldb);
        long sA = (long)m * k, sB = geo.Shared ? 0 : (long)k * n, sC = (long)m * n;
        var ga = Tensor.Zeros(a.Shape);
        if (!geo.TransA) // dA = dC op(B)^T
            Gemm.SgemmBatched((int)batch, false, !geo.TransB, m, k, n, 1f, g.Data, n, sC, b.Data, ldb, sB, 0f, ga.Data, k, sA);
        else // dA (stored k x m) = op(B) dC^T
            Gemm.SgemmBatched((int)batch, geo.TransB, true, k, m, n, 1f, b.Data, ldb, sB, g.Data, n, sC, 0f, ga.Data, m, sA);
        return ga;
    }

    public Tensor MatMulBackwardB(Tensor g, Tensor a, Tensor b, MatMulGeometry geo)
    {
        var (m, n, k, batch, lda) = (geo.M, geo.N, geo.K, geo.Batch, geo.Lda);
        bool transA = geo.TransA, transB = geo.TransB, shared = geo.Shared;
        long sA = (long)m * k, sB = shared ? 0 : (long)k * n, sC = (long)m * n;
        var gb = Tensor.Zeros(b.Shape);
        if (shared && !transA)
        {
            int rows = (int)(batch * m);
            if (!transB) Gemm.Sgemm(true, false, k, n, rows, 1f, a.Data, k, g.Data, n, 0f, gb.Data, n);
            else Gemm.Sgemm(true, false, n, k, rows, 1f, g.Data, n, a.Data, k, 0f, gb.Data, k);
            return gb;
        }
        // a shared b sums its gradient over the batch: beta = 1 after the first item
        for (long i = 0; i < batch; i++)
        {
            float beta = shared && i > 0 ? 1f : 0f;
            float* gbi = gb.Data + (shared ? 0 : i * sB);
            if (!transB) // dB = op(A)^T dC
                Gemm.Sgemm(!transA, false, k, n, m, 1f, a.Data + i * sA, lda, g.Data + i * sC, n, beta, gbi, n);
            else // dB (stored n x k) = dC^T op(A)
                Gemm.Sgemm(true, transA, n, k, m, 1f, g.Data + i * sC, n, a.Data + i * sA, lda, beta, gbi, k);
        }
        return gb;
    }

    public Tensor Linear(Tensor x, Tensor w, Tensor? bias, int rows, int inF, int outF)
    {
        var y = Tensor.Empty(x.Shape.With(-1, outF));
        float* yd = y.Data;
        if (bias is not null)
        {
            var bs = bias.Span;
            for (int r = 0; r < rows; r++) bs.CopyTo(new Span<float>(yd + (long)r * outF, outF));
        }
        Gemm.Sgemm(false, true, rows, outF, inF, 1f, x.Data, inF, w.Data, inF, bias is null ? 0f : 1f, yd, outF);
        return y;
    }

    public Tensor LinearBackwardInput(Tensor g, Tensor x, Tensor w, int rows, int inF, int outF)
    {
        var gx = Tensor.Zeros(x.Shape);
        Gemm.Sgemm(false, false, rows, inF, outF, 1f, g.Data, outF, w.Data, inF, 0f, gx.Data, inF);
        return gx;
    }

    public Tensor LinearBackwardWeight(Tensor g, Tensor x, Tensor w, int rows, int inF, int outF)
    {
        var gw = Tensor.Zeros(w.Shape);
        Gemm.Sgemm(true, false, outF, inF, rows, 1f, g.Data, outF, x.Data, inF, 0f, gw.Data, inF);
        return gw;
    }

    public Tensor Im2Col(Tensor pixels, int p)
    {
        int n = pixels.Dim(0), c = pixels.Dim(1), h = pixels.Dim(2), w = pixels.Dim(3);
        var cols = Tensor.Empty(new Shape(n * (h / p) * (w / p), c * p * p));
        Cpu.Im2Col.Forward(pixels.Data, n, c, h, w, p, cols.Data);
        return cols;
    }

    public Tensor Im2ColBackward(Tensor g, Tensor pixels, int p)
    {
        int n = pixels.Dim(0), c = pixels.Dim(1), h = pixels.Dim(2), w = pixels.Dim(3);
        var gp = Tensor.Zeros(pixels.Shape);
        Cpu.Im2Col.Backward(g.Data, n, c, h, w, p, gp.Data);
        return gp;
    }
}
