namespace MantisNative.Backends.Cpu;

/// <summary>
/// Multi-threaded form of <see cref="GemmBlocked"/>'s loop nest, in ONE parallel region per GEMM.
/// </summary>
/// <remarks>
/// The nest's (jc, pc) blocks are numbered as steps. Per step, the threads pack the shared B panel in
/// chunks, then take the M blocks (each packs its own A block into its thread's L2 and runs the macro-kernel)
/// dynamically (ready blocks first, see ClaimItem), so a thread slowed by a neighbour process simply takes fewer. A thread
/// that runs out of M blocks goes straight on to pack the next step's B into the other of two buffers while the
/// others finish: no fork-join and no full barrier between K steps (the previous driver forked and joined once
/// per K step; on a loaded machine each wake-up cost tens of microseconds to milliseconds).
/// Every wait is for work another thread has already claimed and is running, never for work nobody has taken:
/// if the pool runs the workers one after another (a busy pool, a nested call), the first does everything and
/// the rest find nothing left, so the schedule cannot deadlock. Dependencies:
/// <list type="bullet">
/// <item>compute of step s needs step s's B packed (all its chunks done);</item>
/// <item>packing step s overwrites the buffer of step s - 2, so it waits for that step's M blocks;</item>
/// <item>M block i of step s adds onto what step s - 1 wrote to the same C tile (same jc, pc &gt; 0), so it
/// waits for that block: each C element still sums its K blocks in order, so results are bitwise the same
/// as on one thread with the same blocking.</item>
/// </list>
/// </remarks>
internal sealed unsafe class GemmParallel
{
    [ThreadStatic] private static GemmParallel? _cached;

    // Job parameters: one instance per driving thread, reused so a call allocates nothing.
    private bool _transA, _transB, _inPlace;
    private float* _a, _b, _c, _bufs;
    private nint _lda, _ldb, _ldc;
    private int _m, _n, _k, _kcStep, _ncStep, _kSteps, _steps, _mc, _blocksM, _threads, _maxItems;
    private long _panelFloats;
    private float _alpha, _beta;
    private volatile bool _failed;
    private GemmFamily _f = null!;
    private readonly Action<int> _worker;

    // Per step: chunks of B claimed / packed, M blocks claimed / done. Per column block jc and M block (and
    // column group): the last step whose result it has written. Kept per jc, not per M block alone: a thread
    // already in the next column block writes the same item number while a slower one finishes this block.
    private int[] _packClaim = [], _packDone = [], _compClaim = [], _compDone = [], _itemStep = [];

    // Per step and item: 1 once a thread has claimed it. Items are claimed out of order, ready ones first
    // (see ClaimItem), so a thread does not wait on a block another thread is still running while other work
    // of the step is ready.
    private int[] _itemClaim = [];

    /// <summary>Test hook: called before each M block a worker computes (worker index, step, item), to delay a thread.</summary>
    internal static Action<int, int, int>? BeforeBlockForTests;

    private GemmParallel() => _worker = Worker;

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
        _lda = lda; _ldb = ldb; _ldc = ldc; _m = m; _n = n; _k = k; _alpha = alpha; _beta = beta;
        _threads = threads;
        _failed = false;

        var (kcStep, ncStep, _) = GemmBlocked.Steps(f, m, n, k);
        _kcStep = kcStep; _ncStep = ncStep;
        _kSteps = GemmBlocked.CeilDiv(k, kcStep);
        _steps = _kSteps * GemmBlocked.CeilDiv(n, ncStep);
        // At least three M blocks per thread when m allows, none under 4 * MR rows.
        int blocksM = Math.Max(1, Math.Min(Math.Max(GemmBlocked.CeilDiv(m, f.MCMax), 3 * threads), m / (4 * MR)));
        _mc = GemmBlocked.RoundUp(GemmBlocked.CeilDiv(m, blocksM), MR);
        _blocksM = GemmBlocked.CeilDiv(m, _mc);
        _inPlace = GemmBPanels.ReadInPlace(f, transB, m, n, k);

        _panelFloats = (long)kcStep * (_inPlace ? NR : GemmBlocked.RoundUp(Math.Min(ncStep, n), NR));
        _bufs = GemmBuffers.Current.PackB(2 * _panelFloats);

        _maxItems = _blocksM * Groups(GemmBlocked.CeilDiv(Math.Min(ncStep, n), NR));
        Reset(ref _packClaim, _steps, 0); Reset(ref _packDone, _steps, 0);
        Reset(ref _compClaim, _steps, 0); Reset(ref _compDone, _steps, 0);
        Reset(ref _itemStep, _maxItems * (_steps / _kSteps), -1);
        Reset(ref _itemClaim, _maxItems * _steps, 0);
        CpuParallel.For(threads, _worker, threads);
    }

    private static void Reset(ref int[] array, int length, int value)
    {
        if (array.Length < length) array = new int[Math.Max(length, array.Length * 2)];
        Array.Fill(array, value, 0, length);
    }

    /// <summary>Too few M blocks for the threads (small m): the column panels are split into groups as well (each group packs the same, small, A block).</summary>
    private int Groups(int panels) => _blocksM >= 3 * _threads ? 1 : Math.Min(panels, GemmBlocked.CeilDiv(3 * _threads, _blocksM));

    /// <summary>Chunks the step's B work is split into: in place, just the ragged edge panel if there is one.</summary>
    private int PackChunks(int panels, int nc) => _inPlace ? (nc % _f.NR == 0 ? 0 : 1) : Math.Min(panels, 2 * _threads);

    private void Worker(int worker)
    {
        try
        {
            for (int s = 0; s < _steps; s++) Step(s, worker);
        }
        catch
        {
            _failed = true; // release the other workers' waits; the pool rethrows this exception
            throw;
        }
    }

    private void Step(int s, int worker)
    {
        int NR = _f.NR;
        int jc = s / _kSteps * _ncStep, pc = s % _kSteps * _kcStep;
        int nc = Math.Min(_ncStep, _n - jc), kc = Math.Min(_kcStep, _k - pc);
        int panels = GemmBlocked.CeilDiv(nc, NR);
        int chunks = PackChunks(panels, nc), groups = Groups(panels), items = _blocksM * groups;
        float* buf = _bufs + (s & 1) * _panelFloats;

        int chunk;
        while (Volatile.Read(ref _packClaim[s]) < chunks && (chunk = Interlocked.Increment(ref _packClaim[s]) - 1) < chunks)
        {
            if (s >= 2) WaitFor(ref _compDone[s - 2], ItemsOf(s - 2));
            int p0 = (int)((long)panels * chunk / chunks), p1 = (int)((long)panels * (chunk + 1) / chunks);
            if (_inPlace) (p0, p1) = (0, panels); // the one chunk is the ragged edge panel
            GemmBlocked.PrepareB(_f, _transB, _b, _ldb, pc, kc, jc, nc, p0, p1, _inPlace, buf);
            Interlocked.Increment(ref _packDone[s]);
        }
        WaitFor(ref _packDone[s], chunks);
        var bp = _inPlace
            ? GemmBPanels.InPlace(_f, _b + (nint)pc * _ldb + jc, _ldb, nc, buf)
            : GemmBPanels.Packed(_f, buf, kc);

        int item;
        var hook = BeforeBlockForTests;
        while ((item = ClaimItem(s, items, pc > 0)) >= 0)
        {
            ref int done = ref _itemStep[s / _kSteps * _maxItems + item];
            if (pc > 0) WaitFor(ref done, s - 1);
            hook?.Invoke(worker, s, item);
            Compute(item, groups, panels, jc, nc, pc, kc, bp);
            Volatile.Write(ref done, s);
            Interlocked.Increment(ref _compDone[s]);
        }
    }

    /// <summary>
    /// Claims an item of step s, or returns -1 when all are claimed. First an item whose C tile already holds
    /// step s - 1's result (always, for the first K block); only when none is ready, the first unclaimed one,
    /// whose caller then waits for the thread running its previous K block. So a slow or preempted thread
    /// delays the others only when nothing else of the step is left to do, and each C tile still sums its K
    /// blocks in order (same bits as one thread).
    /// </summary>
    private int ClaimItem(int s, int items, bool dependsOnPrevious)
    {
        if (Volatile.Read(ref _compClaim[s]) >= items) return -1;
        int claims = s * _maxItems, results = s / _kSteps * _maxItems;
        if (dependsOnPrevious)
            for (int i = 0; i < items; i++)
                if (Volatile.Read(ref _itemClaim[claims + i]) == 0 && Volatile.Read(ref _itemStep[results + i]) >= s - 1
                    && Interlocked.CompareExchange(ref _itemClaim[claims + i], 1, 0) == 0)
                    return Claimed(s, i);
        for (int i = 0; i < items; i++)
            if (Volatile.Read(ref _itemClaim[claims + i]) == 0 && Interlocked.CompareExchange(ref _itemClaim[claims + i], 1, 0) == 0)
                return Claimed(s, i);
        return -1;
    }

    private int Claimed(int s, int item)
    {
        Interlocked.Increment(ref _compClaim[s]);
        return item;
    }

    private int ItemsOf(int s)
    {
        int jc = s / _kSteps * _ncStep;
        return _blocksM * Groups(GemmBlocked.CeilDiv(Math.Min(_ncStep, _n - jc), _f.NR));
    }

    private void Compute(int item, int groups, int panels, int jc, int nc, int pc, int kc, in GemmBPanels bp)
    {
        int MR = _f.MR, NR = _f.NR;
        int ib = item / groups, g = item % groups;
        int ic = ib * _mc;
        int mc = Math.Min(_mc, _m - ic);
        float* pa = GemmBuffers.Current.PackA((long)GemmBlocked.RoundUp(mc, MR) * kc);
        GemmPacking.PackA(_f, _transA, _a, _lda, ic, mc, pc, kc, pa);

        int jp0 = (int)((long)panels * g / groups), jp1 = (int)((long)panels * (g + 1) / groups);
        GemmBlocked.MacroKernel(_f, mc, nc, kc, _alpha, pa, bp, jp0, jp1, pc == 0 ? _beta : 1f, _c + ic * _ldc + jc, _ldc);
    }

    private void WaitFor(ref int counter, int target)
    {
        if (Volatile.Read(ref counter) >= target) return;
        var spin = new SpinWait();
        while (Volatile.Read(ref counter) < target)
        {
            if (_failed) throw new OperationCanceledException("another GEMM worker failed");
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

}
