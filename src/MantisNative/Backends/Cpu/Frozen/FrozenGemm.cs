using MantisNative.Tensors;
namespace MantisNative.Backends.Cpu.Frozen;

/// <summary>
/// C [m, n] = A [m, k] · op(W) (+ C when <c>accumulate</c>) for a frozen weight W [out, in]: op(W) = Wᵀ for a
/// Linear's forward (n = out, k = in), op(W) = W for its input gradient (n = in, k = out). A few rows (decode
/// steps) go through the format's GEMV; more through the packed loop nest of <see cref="GemmBlocked"/> with
/// the weight operand packed by <see cref="FrozenPacking"/> (decoded inside packing) and the same block sizes,
/// A packing and micro-kernel as the fp32 GEMM, so a 16-bit weight gives exactly the fp32 GEMM's result of its
/// widened values. Threads take disjoint runs of column panels (each packs its own B panels: there is no
/// shared fp32 B to reuse, and A is cheap to repack beside a weight that is decoded once).
/// </summary>
internal static unsafe class FrozenGemm
{
    /// <summary>Rows up to which a transposed product runs as GEMVs (weights are then read once per row; beyond, packing pays).</summary>
    internal const int GemvMaxRows = 2;

    /// <summary>Multiply-adds per thread below which extra threads cost more than they give.</summary>
    private const long MinWorkPerThread = 1L << 19;

    public static void Multiply(float* a, int m, FrozenMatrix w, bool transposed, bool accumulate, float* c)
    {
        int n = transposed ? w.Rows : w.Cols, k = transposed ? w.Cols : w.Rows;
        if (m <= 0) return;
        if (transposed && m <= GemvMaxRows)
        {
            for (int i = 0; i < m; i++) Gemv(w, a + (nint)i * k, c + (nint)i * n, accumulate);
            return;
        }
        var f = GemmFamily.Active;
        int NR = f.NR, MR = f.MR;
        var (kcStep, ncStep, mcStep) = GemmBlocked.Steps(f, m, n, k);
        int panels = GemmBlocked.CeilDiv(n, NR);
        long work = (long)m * n * k;
        int threads = (int)Math.Clamp(work / MinWorkPerThread, 1, CpuParallel.Threads);
        int perChunk = Math.Max(1, Math.Min(ncStep / NR, GemmBlocked.CeilDiv(panels, threads)));
        int chunks = GemmBlocked.CeilDiv(panels, perChunk);
        var pa0 = (nint)a; var pc0 = (nint)c;
        CpuParallel.For(chunks, chunk =>
        {
            float* a1 = (float*)pa0, c1 = (float*)pc0;
            int jp0 = chunk * perChunk, jp1 = Math.Min(panels, jp0 + perChunk);
            int j0 = jp0 * NR, nc = Math.Min(n, jp1 * NR) - j0;
            var buffers = GemmBuffers.Current;
            float* pb = buffers.PackB((long)kcStep * (jp1 - jp0) * NR);
            float* pa = buffers.PackA((long)kcStep * Math.Min(mcStep, GemmBlocked.RoundUp(m, MR)));
            float* scratch = buffers.Scratch(kcStep);
            for (int pc = 0; pc < k; pc += kcStep)
            {
                int kc = Math.Min(kcStep, k - pc);
                float beta = pc == 0 && !accumulate ? 0f : 1f;
                for (int jp = jp0; jp < jp1; jp++)
                {
                    int jj = jp * NR, nr = Math.Min(NR, n - jj);
                    float* dst = pb + (nint)(jp - jp0) * NR * kc;
                    if (transposed) FrozenPacking.PackTransposed(w, pc, kc, jj, nr, NR, dst, scratch);
                    else FrozenPacking.PackPlain(w, pc, kc, jj, nr, NR, dst);
                }
                var panelsB = GemmBPanels.Packed(f, pb, kc);
                for (int ic = 0; ic < m; ic += mcStep)
                {
                    int mc = Math.Min(mcStep, m - ic);
                    GemmPacking.PackA(f, false, a1, k, ic, mc, pc, kc, pa);
                    GemmBlocked.MacroKernel(f, mc, nc, kc, 1f, pa, panelsB, 0, jp1 - jp0, beta, c1 + (nint)ic * n + j0, n);
                }
            }
        }, threads);
    }

    /// <summary>y = W x (+ y), rows split over the workers.</summary>
    public static void Gemv(FrozenMatrix w, float* x, float* y, bool accumulate)
    {
        float* target = y;
        if (accumulate) target = GemmBuffers.Current.Scratch(w.Rows);
        var px = (nint)x; var py = (nint)target;
        int rows = w.Rows;
        int minChunk = Math.Max(16, (int)Math.Min(rows, (1L << 16) / Math.Max(1, w.Cols)));
        if ((long)rows * w.Cols < 1 << 16) Rows(w, (float*)px, (float*)py, 0, rows);
        else CpuParallel.ForRange(rows, minChunk, (r0, r1) => Rows(w, (float*)px, (float*)py, r0, r1));
        if (accumulate)
            System.Numerics.Tensors.TensorPrimitives.Add(new ReadOnlySpan<float>(target, rows), new ReadOnlySpan<float>(y, rows), new Span<float>(y, rows));
    }

    private static void Rows(FrozenMatrix w, float* x, float* y, int r0, int r1)
    {
        float* scratch = GemmBuffers.Current.PackA(FrozenMatrix.GemvChunk);
        w.GemvRows(x, y, r0, r1, scratch);
    }
}
