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
        if (k == 0 && beta == 1f) return;   // adds nothing
        if (k == 0) throw new MantisException($"GEMM with an empty inner dimension ({m}x{n}) is not supported on the device");
        var shape = new GemmShape(m, n, k, ta, tb, lda, ldb, ldc, batch, sA, sB, sC);
        be.Gemm.Run(shape, a, b, c, 1f, beta);
    }

    private const long Bf16Bytes = 2;

    /// <summary>The address of BF16 element <paramref name="offset"/> of a device tensor.</summary>
    private static ulong At(Tensor t, long offset) => P(t) + (ulong)(offset * Bf16Bytes);

    public static Tensor MatMul(Tensor a, Tensor b, bool transA, bool transB, int m, int n, int k, long batch, bool shared, Shape outShape)
    {
        RequireBf16("MatMul", a, b);
        var be = Be(a);
        var y = Bf16Like(a, outShape);
        int lda = a.Dim(-1), ldb = b.Dim(-1), items = checked((int)batch);
        Run(be, MatMulPlan.Forward(transA, transB, m, n, k, items, shared, lda, ldb), a, b, y, null, null, null);
        if (Tape.Needs(a, b))
            Record(y, g =>
            {
                if (a.RequiresGrad)
                {
                    using var ga = Bf16Like(a);
                    Run(be, MatMulPlan.GradA(transA, transB, m, n, k, items, shared, ldb), a, b, y, g, ga, null);
                    a.AccumulateGrad(ga);
                }
                if (b.RequiresGrad)
                {
                    using var gb = Bf16Like(b);
                    Run(be, MatMulPlan.GradB(transA, transB, m, n, k, items, shared, lda), a, b, y, g, null, gb);
                    b.AccumulateGrad(gb);
                }
            });
        return y;
    }

    /// <summary>Issues a plan's GEMMs with each operand role bound to its tensor.</summary>
    private static void Run(CudaBackend be, IReadOnlyList<GemmCall> plan, Tensor a, Tensor b, Tensor y, Tensor? g, Tensor? ga, Tensor? gb)
    {
        Tensor Of(GemmOperand o) => o switch
        {
            GemmOperand.A => a, GemmOperand.B => b, GemmOperand.Y => y,
            GemmOperand.G => g!, GemmOperand.GA => ga!, _ => gb!,
        };
        foreach (var c in plan)
            Gemm(be, c.Batch, c.TransA, c.TransB, c.M, c.N, c.K, At(Of(c.A), c.OffsetA), c.Lda, c.StrideA,
                At(Of(c.B), c.OffsetB), c.Ldb, c.StrideB, At(Of(c.C), c.OffsetC), c.Ldc, c.StrideC, c.Beta);
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
            Run(be, new[] { LinearPlan.Forward(rows, inF, outF) }, x, w, y, null, null, null);
        }
        else
        {
            using var xw = Bf16Like(x, shape);
            Run(be, new[] { LinearPlan.Forward(rows, inF, outF) }, x, w, xw, null, null, null);
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
                    Run(be, new[] { LinearPlan.GradX(rows, inF, outF) }, x, w, g, g, gx, null);
                    x.AccumulateGrad(gx);
                }
                if (w.RequiresGrad)
                {
                    using var gw = Bf16Like(w);
                    Run(be, new[] { LinearPlan.GradW(rows, inF, outF) }, x, w, g, g, null, gw);
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
