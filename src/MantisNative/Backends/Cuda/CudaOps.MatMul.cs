using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// MatMul and Linear through cuBLASLt (bf16 in and out, fp32 accumulation). The GEMM calls mirror the CPU op's
// Sgemm calls one for one (row-major, leading dimensions in elements), so both backends share one derivation.
public static partial class CudaOps
{
    private static void Gemm(CudaBackend be, int batch, bool ta, bool tb, int m, int n, int k,
        ulong a, int lda, long sA, ulong b, int ldb, long sB, ulong c, int ldc, long sC, float beta = 0f)
    {
        if (m == 0 || n == 0 || batch == 0) return;
        if (k == 0) throw new MantisException($"GEMM with an empty inner dimension ({m}x{n}) is not supported on the device");
        var shape = new GemmShape(m, n, k, ta, tb, lda, ldb, ldc, batch, sA, sB, sC);
        be.Gemm.Run(shape, a, b, c, 1f, beta);
    }

    private const long Bf16Bytes = 2;

    public static Tensor MatMul(Tensor a, Tensor b, bool transA, bool transB, int m, int n, int k, long batch, bool shared, Shape outShape)
    {
        RequireBf16("MatMul", a, b);
        var be = Be(a);
        var y = Bf16Like(a, outShape);
        int lda = a.Dim(-1), ldb = b.Dim(-1);
        long sA = (long)m * k, sB = shared ? 0 : (long)k * n, sC = (long)m * n;
        if (shared && !transA)
            Gemm(be, 1, false, transB, checked((int)(batch * m)), n, k, P(a), lda, 0, P(b), ldb, 0, P(y), n, 0);
        else
            Gemm(be, (int)batch, transA, transB, m, n, k, P(a), lda, sA, P(b), ldb, sB, P(y), n, sC);

        if (Tape.Needs(a, b))
            Record(y, g =>
            {
                if (a.RequiresGrad)
                {
                    using var ga = Bf16Like(a);
                    if (!transA) Gemm(be, (int)batch, false, !transB, m, k, n, P(g), n, sC, P(b), ldb, sB, P(ga), k, sA);
                    else Gemm(be, (int)batch, transB, true, k, m, n, P(b), ldb, sB, P(g), n, sC, P(ga), m, sA);
                    a.AccumulateGrad(ga);
                }
                if (b.RequiresGrad)
                {
                    using var gb = Bf16Like(b);
                    if (shared && !transA)
                    {
                        int rows = checked((int)(batch * m));
                        if (!transB) Gemm(be, 1, true, false, k, n, rows, P(a), k, 0, P(g), n, 0, P(gb), n, 0);
                        else Gemm(be, 1, true, false, n, k, rows, P(g), n, 0, P(a), k, 0, P(gb), k, 0);
                    }
                    else if (!shared)
                    {
                        if (!transB) Gemm(be, (int)batch, !transA, false, k, n, m, P(a), lda, sA, P(g), n, sC, P(gb), n, sB);
                        else Gemm(be, (int)batch, true, transA, n, k, m, P(g), n, sC, P(a), lda, sA, P(gb), k, sB);
                    }
                    else
                    {
                        // a shared b under transA: item by item, summing into gb (beta = 1 after the first)
                        for (long i = 0; i < batch; i++)
                        {
                            float beta = i > 0 ? 1f : 0f;
                            ulong ai = P(a) + (ulong)(i * sA * Bf16Bytes), gi = P(g) + (ulong)(i * sC * Bf16Bytes);
                            if (!transB) Gemm(be, 1, !transA, false, k, n, m, ai, lda, 0, gi, n, 0, P(gb), n, 0, beta);
                            else Gemm(be, 1, true, transA, n, k, m, gi, n, 0, ai, lda, 0, P(gb), k, 0, beta);
                        }
                    }
                    b.AccumulateGrad(gb);
                }
            });
        return y;
    }

    /// <summary>x @ W^T + bias (W [out, in]); the bias is added by add_bf16 after the GEMM.</summary>
    public static Tensor Linear(Tensor x, Tensor w, Tensor? bias, int rows, int inF, int outF)
    {
        RequireBf16("Linear", x, w, bias);
        var be = Be(x);
        var shape = x.Shape.With(-1, outF);
        Tensor y;
        if (bias is null)
        {
            y = Bf16Like(x, shape);
            Gemm(be, 1, false, true, rows, outF, inF, P(x), inF, 0, P(w), inF, 0, P(y), outF, 0);
        }
        else
        {
            using var xw = Bf16Like(x, shape);
            Gemm(be, 1, false, true, rows, outF, inF, P(x), inF, 0, P(w), inF, 0, P(xw), outF, 0);
            y = Bf16Like(x, shape);
            long n = (long)rows * outF;
            if (n > 0) be.Launch("elementwise", "add_bf16", be.Blocks(n), new KernelArgs().Ptr(P(xw)).Ptr(P(bias)).Ptr(P(y)).Long(n).Long(outF));
        }

        if (Tape.Needs(x, w, bias))
            Record(y, g =>
            {
                if (x.RequiresGrad)
                {
                    using var gx = Bf16Like(x);
                    Gemm(be, 1, false, false, rows, inF, outF, P(g), outF, 0, P(w), inF, 0, P(gx), inF, 0);
                    x.AccumulateGrad(gx);
                }
                if (w.RequiresGrad)
                {
                    using var gw = Bf16Like(w);
                    Gemm(be, 1, true, false, outF, inF, rows, P(g), outF, 0, P(x), inF, 0, P(gw), inF, 0);
                    w.AccumulateGrad(gw);
                }
                if (bias is not null && bias.RequiresGrad)
                {
                    using var gb = Bf16Like(bias);
                    be.Launch("elementwise", "add_backward_broadcast_bf16", be.Blocks(outF),
                        new KernelArgs().Ptr(P(g)).Ptr(P(gb)).Long((long)rows * outF).Long(outF));
                    bias.AccumulateGrad(gb);
                }
            });
        return y;
    }
}
