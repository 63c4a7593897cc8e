using MantisNative.Autograd;
using MantisNative.Backends.Cpu;
using MantisNative.Backends.Cuda;
using MantisNative.Tensors;
using NUnit.Framework;
using AOps = MantisNative.Autograd.Ops;

namespace MantisNative.Tests.Cuda;

/// <summary>
/// The device MatMul's GEMM plans, executed with the CPU Sgemm on host arrays, give the CPU op's forward and
/// gradients: the cuBLASLt calls are derived right (cuBLASLt's own layout mapping is tested in GemmShapeTests).
/// </summary>
public class GemmPlanTests
{
    private static unsafe void Execute(IReadOnlyList<GemmCall> plan, Dictionary<GemmOperand, float[]> buffers)
    {
        foreach (var c in plan)
            fixed (float* a = buffers[c.A]) fixed (float* b = buffers[c.B]) fixed (float* y = buffers[c.C])
                Gemm.SgemmBatched(c.Batch, c.TransA, c.TransB, c.M, c.N, c.K, 1f, a + c.OffsetA, c.Lda, c.StrideA,
                    b + c.OffsetB, c.Ldb, c.StrideB, c.Beta, y + c.OffsetC, c.Ldc, c.StrideC);
    }

    [TestCase(false, false, false, 3)]
    [TestCase(true, false, false, 3)]
    [TestCase(false, true, false, 3)]
    [TestCase(true, true, false, 2)]
    [TestCase(false, false, true, 3)]
    [TestCase(false, true, true, 3)]
    [TestCase(true, false, true, 3)]
    [TestCase(true, true, true, 2)]
    [TestCase(false, true, false, 1)]
    public void PlansReproduceTheCpuMatMul(bool transA, bool transB, bool shared, int batch)
    {
        int m = 5, n = 7, k = 4;
        var rng = new Rng(11);
        using var a = Tensor.Randn(new Shape(batch, transA ? k : m, transA ? m : k), rng);
        using var b = shared ? Tensor.Randn(new Shape(transB ? n : k, transB ? k : n), rng) : Tensor.Randn(new Shape(batch, transB ? n : k, transB ? k : n), rng);
        a.RequiresGrad = b.RequiresGrad = true;
        using var y = AOps.MatMul(a, b, transA, transB);
        using var seed = Tensor.Randn(y.Shape, rng);
        Tape.Backward(y, seed);
        bool sharedB = shared && batch > 1;   // as Ops.MatMul decides

        var buf = new Dictionary<GemmOperand, float[]>
        {
            [GemmOperand.A] = a.Span.ToArray(), [GemmOperand.B] = b.Span.ToArray(), [GemmOperand.Y] = new float[y.Numel],
            [GemmOperand.G] = seed.Span.ToArray(), [GemmOperand.GA] = new float[a.Numel], [GemmOperand.GB] = Enumerable.Repeat(float.NaN, (int)b.Numel).ToArray(),
        };
        int lda = a.Dim(-1), ldb = b.Dim(-1);
        Execute(MatMulPlan.Forward(transA, transB, m, n, k, batch, sharedB, lda, ldb), buf);
        Execute(MatMulPlan.GradA(transA, transB, m, n, k, batch, sharedB, ldb), buf);
        Execute(MatMulPlan.GradB(transA, transB, m, n, k, batch, sharedB, lda), buf);
        Assert.That(buf[GemmOperand.Y], Is.EqualTo(y.Span.ToArray()).Within(1e-5), "forward");
        Assert.That(buf[GemmOperand.GA], Is.EqualTo(a.Grad!.Span.ToArray()).Within(1e-5), "dA");
        Assert.That(buf[GemmOperand.GB], Is.EqualTo(b.Grad!.Span.ToArray()).Within(1e-5), "dB (NaN-poisoned first: every element written)");
        foreach (var c in MatMulPlan.Forward(transA, transB, m, n, k, batch, sharedB, lda, ldb)
                     .Concat(MatMulPlan.GradA(transA, transB, m, n, k, batch, sharedB, ldb))
                     .Concat(MatMulPlan.GradB(transA, transB, m, n, k, batch, sharedB, lda)))
        {
            Assert.That(c.Batch == 1 || (c.StrideA != 0 && c.StrideB != 0), Is.True, "no stride-0 batch reaches cuBLASLt");
            Assert.DoesNotThrow(() => new GemmShape(c.M, c.N, c.K, c.TransA, c.TransB, c.Lda, c.Ldb, c.Ldc, c.Batch, c.StrideA, c.StrideB, c.StrideC).Validate());
        }
    }

    [Test]
    public void LinearPlansReproduceTheCpuLinear()
    {
        int rows = 6, inF = 5, outF = 3;
        var rng = new Rng(3);
        using var x = Tensor.Randn(new Shape(rows, inF), rng);
        using var w = Tensor.Randn(new Shape(outF, inF), rng);
        x.RequiresGrad = w.RequiresGrad = true;
        using var y = AOps.Linear(x, w);
        using var seed = Tensor.Randn(y.Shape, rng);
        Tape.Backward(y, seed);
        var buf = new Dictionary<GemmOperand, float[]>
        {
            [GemmOperand.A] = x.Span.ToArray(), [GemmOperand.B] = w.Span.ToArray(), [GemmOperand.Y] = new float[y.Numel],
            [GemmOperand.G] = seed.Span.ToArray(), [GemmOperand.GA] = new float[x.Numel], [GemmOperand.GB] = new float[w.Numel],
        };
        Execute(new[] { LinearPlan.Forward(rows, inF, outF), LinearPlan.GradX(rows, inF, outF), LinearPlan.GradW(rows, inF, outF) }, buf);
        Assert.That(buf[GemmOperand.Y], Is.EqualTo(y.Span.ToArray()).Within(1e-5));
        Assert.That(buf[GemmOperand.GA], Is.EqualTo(x.Grad!.Span.ToArray()).Within(1e-5));
        Assert.That(buf[GemmOperand.GB], Is.EqualTo(w.Grad!.Span.ToArray()).Within(1e-5));
    }
}
