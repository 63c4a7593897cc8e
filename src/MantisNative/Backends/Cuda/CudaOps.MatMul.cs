using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// MatMul and Linear through cuBLASLt (bf16 in and out, fp32 accumulation). The GEMM calls mirror the CPU op's
// Sgemm calls one for one (row-major, leading dimensions in elements), so both backends share one derivation.
internal sealed partial class CudaOps
{
    private void Gemm(int batch, bool ta, bool tb, int m, int n, int k,
        ulong a, int lda, long sA, ulong b, int ldb, long sB, ulong c, int ldc, long sC, float beta = 0f, bool outF32 = false)
    {
        if (m == 0 || n == 0 || batch == 0) return;
        if (k == 0 && beta == 1f) return;   // adds nothing
        if (k == 0) throw new MantisException($"GEMM with an empty inner dimension ({m}x{n}) is not supported on the device");
        var shape = new GemmShape(m, n, k, ta, tb, lda, ldb, ldc, batch, sA, sB, sC, outF32);
        _be.Gemm.Run(shape, a, b, c, 1f, beta);
    }

    private const long Bf16Bytes = 2;

    /// <summary>The address of BF16 element <paramref name="offset"/> of a device tensor.</summary>
    private static ulong At(Tensor t, long offset) => P(t) + (ulong)(offset * Bf16Bytes);

    public Tensor MatMul(Tensor a, Tensor b, MatMulGeometry geo, Shape outShape)
    {
        RequireBf16("MatMul", a, b);
        var y = Bf16Like(a, outShape);
        Run(MatMulPlan.Forward(geo.TransA, geo.TransB, geo.M, geo.N, geo.K, Items(geo), geo.Shared, geo.Lda, geo.Ldb), a, b, y, null, null, null);
        return y;
    }

    public Tensor MatMulBackwardA(Tensor g, Tensor a, Tensor b, MatMulGeometry geo)
    {
        RequireBf16("MatMul backward", g, a, b);
        var ga = Bf16Like(a);
        Run(MatMulPlan.GradA(geo.TransA, geo.TransB, geo.M, geo.N, geo.K, Items(geo), geo.Shared, geo.Ldb), a, b, g, g, ga, null);
        return ga;
    }

    public Tensor MatMulBackwardB(Tensor g, Tensor a, Tensor b, MatMulGeometry geo)
    {
        RequireBf16("MatMul backward", g, a, b);
        var gb = Bf16Like(b);
        Run(MatMulPlan.GradB(geo.TransA, geo.TransB, geo.M, geo.N, geo.K, Items(geo), geo.Shared, geo.Lda), a, b, g, g, null, gb);
        return gb;
    }

    private static int Items(MatMulGeometry geo) => checked((int)geo.Batch);

    /// <summary>Issues a plan's GEMMs with each operand role bound to its tensor.</summary>
    private void Run(IReadOnlyList<GemmCall> plan, Tensor a, Tensor b, Tensor y, Tensor? g, Tensor? ga, Tensor? gb)
    {
        Tensor Of(GemmOperand o) => o switch
        {
            GemmOperand.A => a, GemmOperand.B => b, GemmOperand.Y => y,
            GemmOperand.G => g!, GemmOperand.GA => ga!, _ => gb!,
        };
        foreach (var c in plan)
            Gemm(c.Batch, c.TransA, c.TransB, c.M, c.N, c.K, At(Of(c.A), c.OffsetA), c.Lda, c.StrideA,
                At(Of(c.B), c.OffsetB), c.Ldb, c.StrideB, At(Of(c.C), c.OffsetC), c.Ldc, c.StrideC, c.Beta);
    }

    /// <summary>
    /// x @ W^T + bias (W [out, in]). The bias is cuBLASLt's BIAS epilogue, added in fp32 before the output's one
    /// rounding (as the CPU reference does); where cuBLASLt has no such algorithm, add_bf16 after the GEMM.
    /// </summary>
    public Tensor Linear(Tensor x, Tensor w, Tensor? bias, int rows, int inF, int outF)
    {
        RequireBf16("Linear", x, w, bias);
        var shape = x.Shape.With(-1, outF);
        if (bias is null)
        {
            var y = Bf16Like(x, shape);
            Run(new[] { LinearPlan.Forward(rows, inF, outF) }, x, w, y, null, null, null);
            return y;
        }
        if (rows > 0 && outF > 0 && inF > 0)
        {
            var fused = Bf16Like(x, shape);
            var f = LinearPlan.Forward(rows, inF, outF);
            var s = new GemmShape(f.M, f.N, f.K, f.TransA, f.TransB, f.Lda, f.Ldb, f.Ldc, Epilogue: GemmEpilogue.AddColumnBias);
            if (_be.Gemm.TryRun(s, P(x), P(w), P(fused), vector: P(bias))) return fused;
            fused.Dispose();
        }
        using var xw = Bf16Like(x, shape);
        Run(new[] { LinearPlan.Forward(rows, inF, outF) }, x, w, xw, null, null, null);
        var yb = Bf16Like(x, shape);
        long n = (long)rows * outF;
        if (n > 0) _be.Launch("elementwise", "add_bf16", _be.Blocks(n), new KernelArgs().Ptr(P(xw)).Ptr(P(bias)).Ptr(P(yb)).Long(n).Long(outF));
        return yb;
    }

    public Tensor LinearBackwardInput(Tensor g, Tensor x, Tensor w, int rows, int inF, int outF)
    {
        RequireBf16("Linear backward", g, x, w);
        var gx = Bf16Like(x);
        Run(new[] { LinearPlan.GradX(rows, inF, outF) }, x, w, g, g, gx, null);
        return gx;
    }

    /// <summary>
    /// dW = g^T x straight into the fp32 gradient (beta = 1 when accumulating), with the bias gradient from the same
    /// GEMM's BGRADB epilogue (fp32, the vector has D's type); without BGRADB, the weight alone; None when cuBLASLt
    /// has neither (then the caller's plain path runs).
    /// </summary>
    public LinearGradientFusion TryLinearParameterGradients(Tensor g, Tensor x, Tensor gradW, bool accumulate, Tensor? gradBias, int rows, int inF, int outF)
    {
        RequireBf16("Linear backward", g, x);
        if (gradW.DType != DType.F32 || gradBias is { DType: not DType.F32 } || rows <= 0 || inF <= 0 || outF <= 0) return LinearGradientFusion.None;
        var c = LinearPlan.GradW(rows, inF, outF);
        var shape = new GemmShape(c.M, c.N, c.K, c.TransA, c.TransB, c.Lda, c.Ldb, c.Ldc, OutF32: true);
        float beta = accumulate ? 1f : 0f;
        // operand A of GradW is g (op(A) = g^T, [outF, rows]): its row sums over k = rows are the bias gradient
        if (gradBias is not null && _be.Gemm.TryRun(shape with { Epilogue = GemmEpilogue.RowSumsOfA }, P(g), P(x), P(gradW), 1f, beta, P(gradBias)))
            return LinearGradientFusion.WeightAndBias;
        return _be.Gemm.TryRun(shape, P(g), P(x), P(gradW), 1f, beta) ? LinearGradientFusion.Weight : LinearGradientFusion.None;
    }

    public Tensor LinearBackwardWeight(Tensor g, Tensor x, Tensor w, int rows, int inF, int outF)
    {
        RequireBf16("Linear backward", g, x, w);
        var gw = Bf16Like(w);
        Run(new[] { LinearPlan.GradW(rows, inF, outF) }, x, w, g, g, null, gw);
        return gw;
    }
}
