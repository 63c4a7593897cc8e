namespace MantisNative.Backends.Cpu;

/// <summary>
/// The GotoBLAS/BLIS loop nest around the micro-kernel:
/// <code>
/// for jc in n step NC            B panel KC x NC lives in L3 (shared by all threads)
///   for pc in k step KC            pack B panel (in parallel, by NR-column panels)
///     for ic in m step MC  [par]   pack A block MC x KC into the worker's L2
///       for jr in nc step NR         B micro-panel KC x NR (32 KB) stays in L1 ...
///         for ir in mc step MR         ... while A micro-panels stream from L2
///           micro-kernel (MR x NR tile of C)
/// </code>
/// Work items are (MC block, column group): when m has too few blocks to feed every thread, the NR panels
/// are split into groups too. Block sizes are chosen to divide the problem evenly, not just capped, so
/// the last block is not a sliver and the threads get equal shares.
/// </summary>
internal sealed unsafe class GemmBlocked
{
    // Zen 4/5: 32-48 KB L1d, 1 MB L2 per core, shared L3. KC * NR * 4 B = 32 KB (B micro-panel in L1);
    // MC * KC * 4 B <= 384 KB (A block in half the L2); KC * NC * 4 B <= 4 MB (B panel in L3).
    private const int KCMax = 256, MCMax = 384, NCMax = 4096;

    [ThreadStatic] private static GemmBlocked? _cached;

    // Job parameters: one instance per driving thread, reused so a call allocates nothing.
    private bool _transA, _transB;
    private float* _a, _b, _c, _packedB;
    private nint _lda, _ldb, _ldc;
    private int _m, _jc, _nc, _pc, _kc, _mc, _blocksM, _groups, _panels, _packChunks;
    private float _alpha, _betaEff;
    private readonly Action<int> _packB, _compute;

    private GemmBlocked()
    {
        _packB = PackBChunk;
        _compute = ComputeItem;
    }

    public static void Run(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        var job = _cached ??= new GemmBlocked();
        job.Execute(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    }

    private void Execute(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, int threads)
    {
        int MR = GemmMicroKernel.MR, NR = GemmMicroKernel.NR;
        _transA = transA; _transB = transB; _a = a; _b = b; _c = c;
        _lda = lda; _ldb = ldb; _ldc = ldc; _m = m; _alpha = alpha;

        int kBlocks = CeilDiv(k, KCMax);
        int kcStep = RoundUp(CeilDiv(k, kBlocks), 8);
        int nBlocks = CeilDiv(n, NCMax);
        int ncStep = RoundUp(CeilDiv(n, nBlocks), NR);

        // MC: with several threads, at least three blocks per thread (items are handed out dynamically, so a
        // thread slowed by a neighbour process just takes fewer), but no block under 4 * MR rows.
        int blocksM = CeilDiv(m, MCMax);
        if (threads > 1) blocksM = Math.Max(1, Math.Min(Math.Max(blocksM, 3 * threads), m / (4 * MR)));
        _mc = RoundUp(CeilDiv(m, blocksM), MR);
        _blocksM = CeilDiv(m, _mc);

        _packedB = GemmBuffers.Current.PackB((long)kcStep * RoundUp(Math.Min(ncStep, n), NR));

        for (int jc = 0; jc < n; jc += ncStep)
        {
            _jc = jc;
            _nc = Math.Min(ncStep, n - jc);
            _panels = CeilDiv(_nc, NR);
            // Too few M blocks for the threads (small m): split the column panels into groups as well
            // (each group packs the same A block, which is small when m is).
            _groups = threads == 1 || _blocksM >= 3 * threads ? 1 : Math.Min(_panels, CeilDiv(3 * threads, _blocksM));
            _packChunks = Math.Min(_panels, threads * 2);
            for (int pc = 0; pc < k; pc += kcStep)
            {
                _pc = pc;
                _kc = Math.Min(kcStep, k - pc);
                _betaEff = pc == 0 ? beta : 1f; // later K blocks accumulate onto the first one's result
                CpuParallel.For(_packChunks, _packB, threads);
                CpuParallel.For(_blocksM * _groups, _compute, threads);
            }
        }
    }

    private void PackBChunk(int chunk)
    {
        int p0 = (int)((long)_panels * chunk / _packChunks), p1 = (int)((long)_panels * (chunk + 1) / _packChunks);
        GemmPacking.PackB(_transB, _b, _ldb, _pc, _kc, _jc, _nc, p0, p1, _packedB);
    }

    private void ComputeItem(int item)
    {
        int MR = GemmMicroKernel.MR, NR = GemmMicroKernel.NR;
        int ib = item / _groups, g = item % _groups;
        int ic = ib * _mc;
        int mc = Math.Min(_mc, _m - ic);
        int kc = _kc;
        float* pa = GemmBuffers.Current.PackA((long)RoundUp(mc, MR) * kc);
        GemmPacking.PackA(_transA, _a, _lda, ic, mc, _pc, kc, pa);

        int jp0 = (int)((long)_panels * g / _groups), jp1 = (int)((long)_panels * (g + 1) / _groups);
        float alpha = _alpha, beta = _betaEff;
        nint ldc = _ldc;
        for (int jp = jp0; jp < jp1; jp++)
        {
            int jr = jp * NR;
            int nr = Math.Min(NR, _nc - jr);
            float* pb = _packedB + (nint)jp * NR * kc;
            float* cBase = _c + (nint)ic * ldc + _jc + jr;
            for (int ir = 0; ir < mc; ir += MR)
                GemmMicroKernel.Tile(kc, pa + (nint)ir * kc, pb, cBase + ir * ldc, ldc, alpha, beta, Math.Min(MR, mc - ir), nr);
        }
    }

    private static int CeilDiv(int x, int y) => (x + y - 1) / y;
    private static int RoundUp(int x, int y) => CeilDiv(x, y) * y;
}
