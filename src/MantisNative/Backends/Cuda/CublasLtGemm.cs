using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// bf16 GEMMs through cuBLASLt: bf16 in and out, fp32 accumulation and fp32 alpha/beta, transposes, strided
/// batches. Descriptors and the heuristic's algorithm are built once per shape and cached (a training step
/// repeats the same shapes); the workspace is allocated once.
/// </summary>
internal sealed unsafe class CublasLtGemm : IDisposable
{
    public const long DefaultWorkspaceBytes = 32L * 1024 * 1024;

    private readonly CudaContext _context;
    private readonly nint _handle;
    private readonly DeviceBuffer _workspace;
    private readonly Dictionary<GemmShape, Plan> _plans = new();
    private bool _disposed;

    private sealed class Plan
    {
        public nint Desc, LayoutA, LayoutB, LayoutC;
        public CublasLtMatmulAlgo Algo;
        public long WorkspaceBytes;

        public void Destroy()
        {
            if (LayoutC != 0) CublasLtApi.cublasLtMatrixLayoutDestroy(LayoutC);
            if (LayoutB != 0) CublasLtApi.cublasLtMatrixLayoutDestroy(LayoutB);
            if (LayoutA != 0) CublasLtApi.cublasLtMatrixLayoutDestroy(LayoutA);
            if (Desc != 0) CublasLtApi.cublasLtMatmulDescDestroy(Desc);
            LayoutA = LayoutB = LayoutC = Desc = 0;
        }
    }

    public CublasLtGemm(CudaContext context, long workspaceBytes = DefaultWorkspaceBytes)
    {
        CublasLt.EnsureAvailable();
        _context = context;
        CublasLt.Check(CublasLtApi.cublasLtCreate(out _handle), "cublasLtCreate");
        try { _workspace = context.Allocate(workspaceBytes); }
        catch { CublasLtApi.cublasLtDestroy(_handle); throw; }
    }

    /// <summary>Plans built so far (one per distinct shape).</summary>
    public int PlanCount => _plans.Count;

    /// <summary>C = alpha * op(A) op(B) + beta * C (row-major, see <see cref="GemmShape"/>), bf16 device pointers (C fp32 when the shape says so), on the context's stream.</summary>
    public void Run(in GemmShape shape, ulong a, ulong b, ulong c, float alpha = 1f, float beta = 0f)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var plan = GetPlan(shape);
        var algo = plan.Algo;
        // cuBLASLt's A is our B and its B is our A (see ColumnMajorGemm); C and D are the same buffer.
        CublasLt.Check(CublasLtApi.cublasLtMatmul(_handle, plan.Desc, &alpha, b, plan.LayoutA, a, plan.LayoutB, &beta,
            c, plan.LayoutC, c, plan.LayoutC, &algo, _workspace.Pointer, (nuint)plan.WorkspaceBytes, _context.Stream.Handle),
            $"cublasLtMatmul(M={shape.M} N={shape.N} K={shape.K} batch={shape.Batch})");
    }

    private Plan GetPlan(in GemmShape shape)
    {
        if (_plans.TryGetValue(shape, out var plan)) return plan;
        var cm = ColumnMajorGemm.From(shape);
        plan = new Plan();
        nint pref = 0;
        try
        {
            CublasLt.Check(CublasLtApi.cublasLtMatmulDescCreate(out plan.Desc, CublasComputeType.Compute32F, CudaDataType.R32F), "cublasLtMatmulDescCreate");
            int opA = (int)cm.A.Op, opB = (int)cm.B.Op;
            CublasLt.Check(CublasLtApi.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLtMatmulDescAttribute.TransA, &opA, sizeof(int)), "cublasLtMatmulDescSetAttribute(TRANSA)");
            CublasLt.Check(CublasLtApi.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLtMatmulDescAttribute.TransB, &opB, sizeof(int)), "cublasLtMatmulDescSetAttribute(TRANSB)");
            plan.LayoutA = Layout(cm.A, shape.Batch);
            plan.LayoutB = Layout(cm.B, shape.Batch);
            plan.LayoutC = Layout(cm.C, shape.Batch, shape.OutF32 ? CudaDataType.R32F : CudaDataType.R16BF);

            CublasLt.Check(CublasLtApi.cublasLtMatmulPreferenceCreate(out pref), "cublasLtMatmulPreferenceCreate");
            ulong ws = (ulong)_workspace.Bytes;
            CublasLt.Check(CublasLtApi.cublasLtMatmulPreferenceSetAttribute(pref, CublasLtMatmulPreferenceAttribute.MaxWorkspaceBytes, &ws, sizeof(ulong)),
                "cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)");
            CublasLtMatmulHeuristicResult result;
            CublasLt.Check(CublasLtApi.cublasLtMatmulAlgoGetHeuristic(_handle, plan.Desc, plan.LayoutA, plan.LayoutB, plan.LayoutC, plan.LayoutC,
                pref, 1, &result, out var found), "cublasLtMatmulAlgoGetHeuristic");
            if (found < 1 || result.State != CublasStatus.Success)
                throw new CudaException($"cuBLASLt has no bf16 algorithm for M={shape.M} N={shape.N} K={shape.K} batch={shape.Batch} " +
                                        $"(transA={shape.TransA}, transB={shape.TransB}, lda={shape.LdaOrDefault}, ldb={shape.LdbOrDefault}, ldc={shape.LdcOrDefault})");
            plan.Algo = result.Algo;
            plan.WorkspaceBytes = (long)result.WorkspaceSize;
            _plans[shape] = plan;
            return plan;
        }
        catch
        {
            plan.Destroy();
            throw;
        }
        finally
        {
            if (pref != 0) CublasLtApi.cublasLtMatmulPreferenceDestroy(pref);
        }
    }

    private static nint Layout(ColumnMajorOperand o, int batch, CudaDataType type = CudaDataType.R16BF)
    {
        CublasLt.Check(CublasLtApi.cublasLtMatrixLayoutCreate(out var layout, type, (ulong)o.Rows, (ulong)o.Cols, o.Ld), "cublasLtMatrixLayoutCreate");
        if (batch > 1)
        {
            int count = batch;
            long stride = o.Stride;
            CublasLt.Check(CublasLtApi.cublasLtMatrixLayoutSetAttribute(layout, CublasLtMatrixLayoutAttribute.BatchCount, &count, sizeof(int)),
                "cublasLtMatrixLayoutSetAttribute(BATCH_COUNT)");
            CublasLt.Check(CublasLtApi.cublasLtMatrixLayoutSetAttribute(layout, CublasLtMatrixLayoutAttribute.StridedBatchOffset, &stride, sizeof(long)),
                "cublasLtMatrixLayoutSetAttribute(STRIDED_BATCH_OFFSET)");
        }
        return layout;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var p in _plans.Values) p.Destroy();
        _plans.Clear();
        _workspace.Dispose();
        CublasLtApi.cublasLtDestroy(_handle);
    }
}
