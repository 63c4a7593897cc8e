namespace MantisNative.Backends.Cuda;

/// <summary>Which tensor of an op a GEMM operand is (the forward's a, b, y; the backward's g, ga, gb).</summary>
internal enum GemmOperand { A, B, Y, G, GA, GB }

/// <summary>
/// One row-major GEMM C = op(A) op(B) (+ beta C) over operands named by role, with element offsets and strides:
/// the device ops turn it into a cuBLASLt call, and a test runs the same plan with the CPU Sgemm on host arrays,
/// so the derivation of every MatMul/Linear GEMM (forward and backward) is checked without a GPU.
/// </summary>
internal readonly record struct GemmCall(
    int Batch, bool TransA, bool TransB, int M, int N, int K,
    GemmOperand A, long OffsetA, int Lda, long StrideA,
    GemmOperand B, long OffsetB, int Ldb, long StrideB,
    GemmOperand C, long OffsetC, int Ldc, long StrideC,
    float Beta = 0f);

/// <summary>
/// The GEMMs of MatMul(a, b) = op(a) @ op(b): a [..., m, k] ([..., k, m] when transA); b batched like a, or one
/// matrix shared by every batch item. A shared b never becomes a stride-0 batch: it is folded into one GEMM when
/// a's rows are contiguous, else done item by item (summing into gb with beta = 1).
/// </summary>
internal static class MatMulPlan
{
    public static IReadOnlyList<GemmCall> Forward(bool transA, bool transB, int m, int n, int k, int batch, bool shared, int lda, int ldb)
    {
        long sA = (long)m * k, sB = shared ? 0 : (long)k * n, sC = (long)m * n;
        var op = GemmOperand.A; var bo = GemmOperand.B; var y = GemmOperand.Y;
        if (shared && !transA) return new[] { new GemmCall(1, false, transB, checked(batch * m), n, k, op, 0, lda, 0, bo, 0, ldb, 0, y, 0, n, 0) };
        if (shared) return Items(batch, i => new GemmCall(1, true, transB, m, n, k, op, i * sA, lda, 0, bo, 0, ldb, 0, y, i * sC, n, 0));
        return new[] { new GemmCall(batch, transA, transB, m, n, k, op, 0, lda, sA, bo, 0, ldb, sB, y, 0, n, sC) };
    }

    /// <summary>dA: dC op(B)^T (stored k x m under transA: op(B) dC^T).</summary>
    public static IReadOnlyList<GemmCall> GradA(bool transA, bool transB, int m, int n, int k, int batch, bool shared, int ldb)
    {
        long sA = (long)m * k, sB = shared ? 0 : (long)k * n, sC = (long)m * n;
        var g = GemmOperand.G; var b = GemmOperand.B; var ga = GemmOperand.GA;
        if (shared && !transA) return new[] { new GemmCall(1, false, !transB, checked(batch * m), k, n, g, 0, n, 0, b, 0, ldb, 0, ga, 0, k, 0) };
        if (shared) return Items(batch, i => new GemmCall(1, transB, true, k, m, n, b, 0, ldb, 0, g, i * sC, n, 0, ga, i * sA, m, 0));
        return !transA
            ? new[] { new GemmCall(batch, false, !transB, m, k, n, g, 0, n, sC, b, 0, ldb, sB, ga, 0, k, sA) }
            : new[] { new GemmCall(batch, transB, true, k, m, n, b, 0, ldb, sB, g, 0, n, sC, ga, 0, m, sA) };
    }

    /// <summary>dB: op(A)^T dC (stored n x k under transB: dC^T op(A)); a shared b sums over the batch.</summary>
    public static IReadOnlyList<GemmCall> GradB(bool transA, bool transB, int m, int n, int k, int batch, bool shared, int lda)
    {
        long sA = (long)m * k, sB = shared ? 0 : (long)k * n, sC = (long)m * n;
        var a = GemmOperand.A; var g = GemmOperand.G; var gb = GemmOperand.GB;
        if (shared && !transA)
        {
            int rows = checked(batch * m);
            return !transB
                ? new[] { new GemmCall(1, true, false, k, n, rows, a, 0, k, 0, g, 0, n, 0, gb, 0, n, 0) }
                : new[] { new GemmCall(1, true, false, n, k, rows, g, 0, n, 0, a, 0, k, 0, gb, 0, k, 0) };
        }
        if (shared)
            return Items(batch, i => !transB
                ? new GemmCall(1, !transA, false, k, n, m, a, i * sA, lda, 0, g, i * sC, n, 0, gb, 0, n, 0, i > 0 ? 1f : 0f)
                : new GemmCall(1, true, transA, n, k, m, g, i * sC, n, 0, a, i * sA, lda, 0, gb, 0, k, 0, i > 0 ? 1f : 0f));
        return !transB
            ? new[] { new GemmCall(batch, !transA, false, k, n, m, a, 0, lda, sA, g, 0, n, sC, gb, 0, n, sB) }
            : new[] { new GemmCall(batch, true, transA, n, k, m, g, 0, n, sC, a, 0, lda, sA, gb, 0, k, sB) };
    }

    private static GemmCall[] Items(int batch, Func<long, GemmCall> item) => Enumerable.Range(0, batch).Select(i => item(i)).ToArray();
}

/// <summary>The GEMMs of Linear: y = x W^T with x [rows, in] as operand A and W [out, in] as operand B.</summary>
internal static class LinearPlan
{
    public static GemmCall Forward(int rows, int inF, int outF) =>
        new(1, false, true, rows, outF, inF, GemmOperand.A, 0, inF, 0, GemmOperand.B, 0, inF, 0, GemmOperand.Y, 0, outF, 0);

    /// <summary>dx = dy W.</summary>
    public static GemmCall GradX(int rows, int inF, int outF) =>
        new(1, false, false, rows, inF, outF, GemmOperand.G, 0, outF, 0, GemmOperand.B, 0, inF, 0, GemmOperand.GA, 0, inF, 0);

    /// <summary>dW = dy^T x.</summary>
    public static GemmCall GradW(int rows, int inF, int outF) =>
        new(1, true, false, outF, inF, rows, GemmOperand.G, 0, outF, 0, GemmOperand.A, 0, inF, 0, GemmOperand.GB, 0, inF, 0);
}
