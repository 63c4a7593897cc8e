namespace MantisNative.Backends.Cpu;

/// <summary>
/// Multi-threaded form of <see cref="GemmBlocked"/>'s loop nest. All threads share one packed B panel; the
/// M blocks (each packing its own A block into its thread's L2) are handed out dynamically, about three per
/// thread, so a thread slowed by a neighbour process simply takes fewer. A and B are each packed exactly
/// once per (jc, pc) (splitting C into independent tiles instead would repack them per tile, which costs
/// 10-30 % at these sizes: packing streams from memory at only a few floats per ns).
/// B is double-buffered: the work items of K step pc also pack the B panel of step pc+1, so each K step
/// is one fork-join instead of two.
/// </summary>
internal sealed unsafe class GemmParallel
{
    [ThreadStatic] private static GemmParallel? _cached;

    // Job parameters: one instance per driving thread, reused so a call allocates nothing.
    private bool _transA, _transB;
    private float* _a, _b, _c, _bufCur, _bufNext;
    private nint _lda, _ldb, _ldc;
    private int _m, _jc, _nc, _panels, _mc, _blocksM, _groups, _packChunks, _packItems;
    private int _pcCur, _kcCur, _pcNext, _kcNext;
    private float _alpha, _betaCur;
    private GemmFamily _f = null!;
    private readonly Action<int> _step, _packOnly;

    private GemmParallel()
    {
        _step = StepItem;
        _packOnly = PackNextChunk;
    }

    public static void Run(GemmFamily f, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        if (threads <= 1)
        {
            GemmBlocked.Run(f, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        (_cached ??= new GemmParallel()).Execute(f, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    }

    private void Execute(GemmFamily f, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        _f = f;
        int MR = f.MR, NR = f.NR;
        _transA = transA; _transB = transB; _a = a; _b = b; _c = c;
        _lda = lda; _ldb = ldb; _ldc = ldc; _m = m; _alpha = alpha;

        var (kcStep, ncStep, _) = GemmBlocked.Steps(f, m, n, k);
        // At least three M blocks per thread when m allows, none under 4 * MR rows.
        int blocksM = Math.Max(1, Math.Min(Math.Max(GemmBlocked.CeilDiv(m, f.MCMax), 3 * threads), m / (4 * MR)));
        _mc = GemmBlocked.RoundUp(GemmBlocked.CeilDiv(m, blocksM), MR);
        _blocksM = GemmBlocked.CeilDiv(m, _mc);

        long panelFloats = (long)kcStep * GemmBlocked.RoundUp(Math.Min(ncStep, n), NR);
        float* bufs = GemmBuffers.Current.PackB(2 * panelFloats);

        for (int jc = 0; jc < n; jc += ncStep)
        {
            _jc = jc;
            _nc = Math.Min(ncStep, n - jc);
            _panels = GemmBlocked.CeilDiv(_nc, NR);
            // Too few M blocks for the threads (small m): split the column panels into groups as well
            // (each group packs the same A block, which is small when m is).
            _groups = _blocksM >= 3 * threads ? 1 : Math.Min(_panels, GemmBlocked.CeilDiv(3 * threads, _blocksM));
            _packChunks = Math.Min(_panels, 2 * threads);

            _bufNext = bufs;
            _pcNext = 0;
            _kcNext = Math.Min(kcStep, k);
            CpuParallel.For(_packChunks, _packOnly, threads);
            for (int pc = 0; pc < k; pc += kcStep)
            {
                _pcCur = pc;
                _kcCur = Math.Min(kcStep, k - pc);
                _bufCur = _bufNext;
                _betaCur = pc == 0 ? beta : 1f; // later K blocks accumulate onto the first one's result
                bool more = pc + kcStep < k;
                _bufNext = _bufCur == bufs ? bufs + panelFloats : bufs;
                _pcNext = pc + kcStep;
                _kcNext = more ? Math.Min(kcStep, k - _pcNext) : 0;
                _packItems = more ? _packChunks : 0;
                CpuParallel.For(_packItems + _blocksM * _groups, _step, threads);
            }
        }
    }

    private void StepItem(int item)
    {
        if (item < _packItems) PackNextChunk(item);
        else ComputeItem(item - _packItems);
    }

    private void PackNextChunk(int chunk)
    {
        int p0 = (int)((long)_panels * chunk / _packChunks), p1 = (int)((long)_panels * (chunk + 1) / _packChunks);
        GemmPacking.PackB(_f, _transB, _b, _ldb, _pcNext, _kcNext, _jc, _nc, p0, p1, _bufNext);
    }

    private void ComputeItem(int item)
    {
        int MR = _f.MR, NR = _f.NR;
        int ib = item / _groups, g = item % _groups;
        int ic = ib * _mc;
        int mc = Math.Min(_mc, _m - ic);
        int kc = _kcCur;
        float* pa = GemmBuffers.Current.PackA((long)GemmBlocked.RoundUp(mc, MR) * kc);
        GemmPacking.PackA(_f, _transA, _a, _lda, ic, mc, _pcCur, kc, pa);

        int jp0 = (int)((long)_panels * g / _groups), jp1 = (int)((long)_panels * (g + 1) / _groups);
        GemmBlocked.MacroKernel(_f, mc, (Math.Min(jp1 * NR, _nc) - jp0 * NR), kc, _alpha, pa, _bufCur + (nint)jp0 * NR * kc,
            _betaCur, _c + ic * _ldc + _jc + jp0 * NR, _ldc);
    }
}
