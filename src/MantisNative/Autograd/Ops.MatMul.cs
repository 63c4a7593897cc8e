using MantisNative.Backends.Cuda;
using MantisNative.Backends.Cpu;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static unsafe partial class Ops
{
    /// <summary>
    /// op(a) @ op(b) over the last two dimensions. a is [..., m, k] ([..., k, m] when transA); b is either
    /// batched like a or a single matrix [k, n] ([n, k] when transB) shared by every batch item.
    /// </summary>
    public static Tensor MatMul(Tensor a, Tensor b, bool transA = false, bool transB = false)
    {
        if (a.Rank < 2 || b.Rank < 2) throw new ArgumentException($"MatMul needs matrices, got {a.Shape} and {b.Shape}");
        int m = transA ? a.Dim(-1) : a.Dim(-2), k = transA ? a.Dim(-2) : a.Dim(-1);
        int kb = transB ? b.Dim(-1) : b.Dim(-2), n = transB ? b.Dim(-2) : b.Dim(-1);
        if (k != kb) throw new ArgumentException($"MatMul: inner sizes differ ({a.Shape}{(transA ? "^T" : "")} @ {b.Shape}{(transB ? "^T" : "")})");
        long batch = a.Shape.Prod(0, a.Rank - 2);
        bool shared = b.Rank == 2 && batch > 1;
        if (!shared && b.Shape.Prod(0, b.Rank - 2) != batch)
            throw new ArgumentException($"MatMul: batch dimensions of {a.Shape} and {b.Shape} differ");
        var outDims = a.Shape.ToArray();
        outDims[^2] = m; outDims[^1] = n;
        if (OnDevice("MatMul", a, b)) return CudaOps.MatMul(a, b, transA, transB, m, n, k, batch, shared, new Shape(outDims));
        var y = Tensor.Empty(new Shape(outDims));
        int lda = a.Dim(-1), ldb = b.Dim(-1);
        long sA = (long)m * k, sB = shared ? 0 : (long)k * n, sC = (long)m * n;
        if (shared && !transA)
            Gemm.Sgemm(false, transB, (int)(batch * m), n, k, 1f, a.Data, lda, b.Data, ldb, 0f, y.Data, n);
        else
            Gemm.SgemmBatched((int)batch, transA, transB, m, n, k, 1f, a.Data, lda, sA, b.Data, ldb, sB, 0f, y.Data, n, sC);

        if (Tape.Needs(a, b))
            Tape.Record(y, g =>
            {
                if (a.RequiresGrad)
                {
                    using var ga = Tensor.Zeros(a.Shape);
                    if (!transA) // dA = dC op(B)^T
                        Gemm.SgemmBatched((int)batch, false, !transB, m, k, n, 1f, g.Data, n, sC, b.Data, ldb, sB, 0f, ga.Data, k, sA);
                    else // dA (stored k x m) = op(B) dC^T
                        Gemm.SgemmBatched((int)batch, transB, true, k, m, n, 1f, b.Data, ldb, sB, g.Data, n, sC, 0f, ga.Data, m, sA);
                    a.AccumulateGrad(ga);
                }
                if (b.RequiresGrad)
                {
                    using var gb = Tensor.Zeros(b.Shape);
                    if (shared && !transA)
                    {
                        int rows = (int)(batch * m);
                        if (!transB) Gemm.Sgemm(true, false, k, n, rows, 1f, a.Data, k, g.Data, n, 0f, gb.Data, n);
                        else Gemm.Sgemm(true, false, n, k, rows, 1f, g.Data, n, a.Data, k, 0f, gb.Data, k);
                    }
                    else
                    {
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
                    }
                    b.AccumulateGrad(gb);
                }
            });
        return y;
    }

    /// <summary>x @ W^T + bias, the Hugging Face / PyTorch Linear (W is [out, in]); x is [..., in].</summary>
    public static Tensor Linear(Tensor x, Tensor w, Tensor? bias = null)
    {
        int inF = w.Dim(1), outF = w.Dim(0);
        if (x.Dim(-1) != inF) throw new ArgumentException($"Linear {w.Name ?? ""}: input {x.Shape} does not end in {inF}");
        if (bias is not null && (bias.Rank != 1 || bias.Dim(0) != outF)) throw new ArgumentException($"Linear: bias {bias.Shape} is not [{outF}]");
        int rows = checked((int)(x.Numel / inF));
        if (OnDevice("Linear", x, w, bias)) return CudaOps.Linear(x, w, bias, rows, inF, outF);
        var y = Tensor.Empty(x.Shape.With(-1, outF));
        float* yd = y.Data;
        if (bias is not null)
        {
            var bs = bias.Span;
            for (int r = 0; r < rows; r++) bs.CopyTo(new Span<float>(yd + (long)r * outF, outF));
        }
        Gemm.Sgemm(false, true, rows, outF, inF, 1f, x.Data, inF, w.Data, inF, bias is null ? 0f : 1f, yd, outF);

        if (Tape.Needs(x, w, bias))
            Tape.Record(y, g =>
            {
                if (x.RequiresGrad)
                {
                    using var gx = Tensor.Zeros(x.Shape);
                    Gemm.Sgemm(false, false, rows, inF, outF, 1f, g.Data, outF, w.Data, inF, 0f, gx.Data, inF);
                    x.AccumulateGrad(gx);
                }
                if (w.RequiresGrad)
                {
                    using var gw = Tensor.Zeros(w.Shape);
                    Gemm.Sgemm(true, false, outF, inF, rows, 1f, g.Data, outF, x.Data, inF, 0f, gw.Data, inF);
                    w.AccumulateGrad(gw);
                }
                if (bias is not null && bias.RequiresGrad)
                {
                    using var gb = Tensor.Zeros(bias.Shape);
                    Elementwise.SumBlocks(g.Data, rows, outF, gb.Data);
                    bias.AccumulateGrad(gb);
                }
            });
        return y;
    }
}
