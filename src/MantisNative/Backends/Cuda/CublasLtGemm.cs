using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// bf16 GEMMs through cuBLASLt: bf16 in and out, fp32 accumulation and fp32 alpha/beta, transposes, strided
/// batches, and the BIAS / BGRADB epilogues (<see cref="GemmEpilogue"/>). Descriptors and the heuristic's algorithm
/// are built once per shape and cached (a training step repeats the same shapes); the workspace is allocated once.
/// Determinism: cuBLAS documents bit-equal results run to run for the same toolkit, architecture and SM count with
/// one stream active and a user-owned workspace (cublasLtMatmul), which is how this class calls it; the algorithm is
/// the heuristic's first answer for the shape, chosen once and kept for the process (never re-tuned mid-run), so a
/// weight gradient is summed in the same order every step and every run. The heuristic is itself a pure function of
/// the shape, types, workspace limit and device, so two runs pick the same algorithm.
/// </summary>
internal sealed unsafe class CublasLtGemm : IDisposable
{
    public const long DefaultWorkspaceBytes = 32L * 1024 * 1024;

    private readonly CudaContext _context;
    private readonly nint _handle;
    private readonly DeviceBuffer _workspace;
    private readonly Dictionary<GemmShape, Plan> _plans = new();
    private readonly HashSet<GemmShape> _unsupported = new();
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
    public void Run(in GemmShape shape, ulong a, ulong b, ulong c, float alpha = 1f, float beta = 0f, ulong vector = 0)
    {
        if (!TryRun(shape, a, b, c, alpha, beta, vector))
            throw new CudaException($"cuBLASLt has no algorithm for M={shape.M} N={shape.N} K={shape.K} batch={shape.Batch} " +
                                    $"(transA={shape.TransA}, transB={shape.TransB}, lda={shape.LdaOrDefault}, ldb={shape.LdbOrDefault}, ldc={shape.LdcOrDefault}, " +
                                    $"C {(shape.OutF32 ? "fp32" : "bf16")}, epilogue {shape.Epilogue})");
    }

    /// <summary>
    /// <see cref="Run"/>, or false (nothing queued) when cuBLASLt has no algorithm for the shape: its heuristic answers
    /// CUBLAS_STATUS_NOT_SUPPORTED or nothing, as it may for an epilogue on some cards and versions; the caller then
    /// does the work another way. The verdict is cached like a plan. <paramref name="vector"/> is the epilogue's
    /// vector (the bias read, or the bias gradient written), in C's type.
    /// </summary>
    public bool TryRun(in GemmShape shape, ulong a, ulong b, ulong c, float alpha = 1f, float beta = 0f, ulong vector = 0)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (shape.Epilogue != GemmEpilogue.None && vector == 0) throw new ArgumentException($"the {shape.Epilogue} epilogue needs its vector");
        var plan = GetPlan(shape);
        if (plan is null) return false;
        if (shape.Epilogue != GemmEpilogue.None)
            CublasLt.Check(CublasLtApi.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLtMatmulDescAttribute.BiasPointer, &vector, sizeof(ulong)),
                "cublasLtMatmulDescSetAttribute(BIAS_POINTER)");
        var algo = plan.Algo;
        // cuBLASLt's A is our B and its B is our A (see ColumnMajorGemm); C and D are the same buffer.
        CublasLt.Check(CublasLtApi.cublasLtMatmul(_handle, plan.Desc, &alpha, b, plan.LayoutA, a, plan.LayoutB, &beta,
            c, plan.LayoutC, c, plan.LayoutC, &algo, _workspace.Pointer, (nuint)plan.WorkspaceBytes, _context.Stream.Handle),
            $"cublasLtMatmul(M={shape.M} N={shape.N} K={shape.K} batch={shape.Batch} epilogue={shape.Epilogue})");
        return true;
    }

    private Plan? GetPlan(in GemmShape shape)
    {
        if (_plans.TryGetValue(shape, out var plan)) return plan;
        if (_unsupported.Contains(shape)) return null;
        var cm = ColumnMajorGemm.From(shape);
        plan = new Plan();
        nint pref = 0;
        try
        {
            CublasLt.Check(CublasLtApi.cublasLtMatmulDescCreate(out plan.Desc, CublasComputeType.Compute32F, CudaDataType.R32F), "cublasLtMatmulDescCreate");
            int opA = (int)cm.A.Op, opB = (int)cm.B.Op;
            CublasLt.Check(CublasLtApi.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLtMatmulDescAttribute.TransA, &opA, sizeof(int)), "cublasLtMatmulDescSetAttribute(TRANSA)");
            CublasLt.Check(CublasLtApi.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLtMatmulDescAttribute.TransB, &opB, sizeof(int)), "cublasLtMatmulDescSetAttribute(TRANSB)");
            var cType = shape.OutF32 ? CudaDataType.R32F : CudaDataType.R16BF;
            if (cm.Epilogue != CublasLtEpilogue.Default)
            {
                uint epilogue = (uint)cm.Epilogue;
                int vectorType = (int)cType;   // the bias (gradient) has D's type, as cuBLASLt requires for these GEMMs
                CublasLt.Check(CublasLtApi.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLtMatmulDescAttribute.Epilogue, &epilogue, sizeof(uint)),
                    "cublasLtMatmulDescSetAttribute(EPILOGUE)");
                CublasLt.Check(CublasLtApi.cublasLtMatmulDescSetAttribute(plan.Desc, CublasLtMatmulDescAttribute.BiasDataType, &vectorType, sizeof(int)),
                    "cublasLtMatmulDescSetAttribute(BIAS_DATA_TYPE)");
            }
            plan.LayoutA = Layout(cm.A, shape.Batch);
            plan.LayoutB = Layout(cm.B, shape.Batch);
            plan.LayoutC = Layout(cm.C, shape.Batch, cType);

            CublasLt.Check(CublasLtApi.cublasLtMatmulPreferenceCreate(out pref), "cublasLtMatmulPreferenceCreate");
            ulong ws = (ulong)_workspace.Bytes;
            CublasLt.Check(CublasLtApi.cublasLtMatmulPreferenceSetAttribute(pref, CublasLtMatmulPreferenceAttribute.MaxWorkspaceBytes, &ws, sizeof(ulong)),
                "cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)");
            CublasLtMatmulHeuristicResult result;
            var status = CublasLtApi.cublasLtMatmulAlgoGetHeuristic(_handle, plan.Desc, plan.LayoutA, plan.LayoutB, plan.LayoutC, plan.LayoutC,
                pref, 1, &result, out var found);
            if (status == CublasStatus.NotSupported || (status == CublasStatus.Success && (found < 1 || result.State != CublasStatus.Success)))
            {
                plan.Destroy();
                _unsupported.Add(shape);
                return null;
            }
            CublasLt.Check(status, "cublasLtMatmulAlgoGetHeuristic");
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
