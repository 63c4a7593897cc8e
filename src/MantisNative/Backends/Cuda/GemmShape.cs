using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// A (strided batched) GEMM in row-major terms, the way tensors are laid out:
/// C[b] (M x N, leading dim Ldc) = alpha * op(A[b]) (M x K) @ op(B[b]) (K x N) + beta * C[b].
/// A is stored M x K (lda >= K), or K x M when TransA (lda >= M); B is stored K x N (ldb >= N), or N x K when TransB.
/// Strides are in elements between consecutive matrices of the batch (0 broadcasts one matrix to all).
/// A linear layer y = x W^T is (M = rows, N = out, K = in, TransB = true). A and B are bf16; C is bf16, or fp32
/// when <see cref="OutF32"/> (an fp32 gradient accumulated by the GEMM itself with beta = 1, fp32 logits).
/// <see cref="Epilogue"/> fuses a bias or a bias gradient into the same call (a vector in C's type).
/// </summary>
internal readonly record struct GemmShape(
    int M, int N, int K,
    bool TransA = false, bool TransB = false,
    int Lda = 0, int Ldb = 0, int Ldc = 0,
    int Batch = 1, long StrideA = 0, long StrideB = 0, long StrideC = 0,
    bool OutF32 = false, GemmEpilogue Epilogue = GemmEpilogue.None)
{
    public int LdaOrDefault => Lda > 0 ? Lda : (TransA ? M : K);
    public int LdbOrDefault => Ldb > 0 ? Ldb : (TransB ? K : N);
    public int LdcOrDefault => Ldc > 0 ? Ldc : N;

    /// <summary>Rejects impossible shapes before cuBLASLt sees them.</summary>
    public void Validate()
    {
        if (M <= 0 || N <= 0 || K <= 0) throw new ArgumentException($"GEMM dims must be positive: M={M} N={N} K={K}");
        if (Batch <= 0) throw new ArgumentException($"GEMM batch must be positive: {Batch}");
        if (LdaOrDefault < (TransA ? M : K)) throw new ArgumentException($"lda {LdaOrDefault} < {(TransA ? M : K)}");
        if (LdbOrDefault < (TransB ? K : N)) throw new ArgumentException($"ldb {LdbOrDefault} < {(TransB ? K : N)}");
        if (LdcOrDefault < N) throw new ArgumentException($"ldc {LdcOrDefault} < {N}");
        if (Epilogue != GemmEpilogue.None && Batch != 1) throw new ArgumentException($"a GEMM epilogue ({Epilogue}) takes one matrix, not a batch of {Batch}");
    }

    public long Flops => 2L * M * N * K * Batch;
}

/// <summary>What a GEMM does with its vector besides C = op(A) op(B) + beta C, in row-major terms.</summary>
internal enum GemmEpilogue
{
    None,
    /// <summary>C[m, n] += bias[n] (a Linear's bias), in fp32 before C's rounding: cuBLASLt's BIAS (bias per row of C^T).</summary>
    AddColumnBias,
    /// <summary>vector[m] = sum over k of op(A)[m, k] (a Linear's bias gradient, op(A) = dy^T): cuBLASLt's BGRADB, since
    /// our A is cuBLASLt's B (see <see cref="ColumnMajorGemm"/>) and its k-sums are the columns of C^T.</summary>
    RowSumsOfA,
}

/// <summary>One operand as cuBLASLt (column-major) sees it.</summary>
internal readonly record struct ColumnMajorOperand(CublasOperation Op, long Rows, long Cols, long Ld, long Stride);

/// <summary>
/// The row-major GEMM rewritten for column-major cuBLASLt. A row-major matrix is the column-major view of its
/// transpose, so C = op(A) op(B) becomes C^T = op(B)^T op(A)^T: cuBLASLt's first operand is our B, its second
/// our A, and its output is C^T (N x M column-major = C row-major). No data moves.
/// </summary>
internal readonly record struct ColumnMajorGemm(long M, long N, long K, ColumnMajorOperand A, ColumnMajorOperand B, ColumnMajorOperand C,
    CublasLtEpilogue Epilogue = CublasLtEpilogue.Default)
{
    public static ColumnMajorGemm From(GemmShape s)
    {
        s.Validate();
        // Our B (row-major K x N, or N x K if TransB) seen column-major is N x K (or K x N): it must act as N x K.
        var first = s.TransB
            ? new ColumnMajorOperand(CublasOperation.T, s.K, s.N, s.LdbOrDefault, s.StrideB)
            : new ColumnMajorOperand(CublasOperation.N, s.N, s.K, s.LdbOrDefault, s.StrideB);
        // Our A (row-major M x K, or K x M if TransA) seen column-major is K x M (or M x K): it must act as K x M.
        var second = s.TransA
            ? new ColumnMajorOperand(CublasOperation.T, s.M, s.K, s.LdaOrDefault, s.StrideA)
            : new ColumnMajorOperand(CublasOperation.N, s.K, s.M, s.LdaOrDefault, s.StrideA);
        var output = new ColumnMajorOperand(CublasOperation.N, s.N, s.M, s.LdcOrDefault, s.StrideC);
        var epilogue = s.Epilogue switch
        {
            GemmEpilogue.AddColumnBias => CublasLtEpilogue.Bias,
            GemmEpilogue.RowSumsOfA => CublasLtEpilogue.BGradB,
            _ => CublasLtEpilogue.Default,
        };
        return new ColumnMajorGemm(s.N, s.M, s.K, first, second, output, epilogue);
    }
}
