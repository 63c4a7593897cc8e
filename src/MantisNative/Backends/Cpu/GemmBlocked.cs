namespace MantisNative.Backends.Cpu;

/// <summary>
/// The GotoBLAS/BLIS loop nest around the micro-kernel, on one thread:
/// <code>
/// for jc in n step NC            B panel KC x NC (2 MB) lives in L2/L3
///   for pc in k step KC            pack B panel
///     for ic in m step MC            pack A block MC x KC (192 KB) into L2
///       for jr in nc step NR           B micro-panel KC x NR (32 KB) stays in L1 ...
///         for ir in mc step MR           ... while A micro-panels stream from L2
///           micro-kernel (MR x NR tile of C)
/// </code>
/// <see cref="GemmParallel"/> runs the same nest with threads sharing the B panel. Block sizes divide the
/// problem evenly rather than just capping, so no block is a sliver.
/// </summary>
internal static unsafe class GemmBlocked
{
    // Block caps come from the family (GemmFamily: from the cache sizes). On Zen 5 (48 KB L1d, 1 MB L2) the
    // AVX-512 family gets KC 256 and MC ~250; `gemm-tune` there found KC 192..512, MC 192/384, NC 2048/4096
    // all within ~3 % on one core.
    public static void Run(GemmFamily f, bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, nint lda, float* b, nint ldb, float beta, float* c, nint ldc)
    {
        int MR = f.MR, NR = f.NR;
        var (kcStep, ncStep, mcStep) = Steps(f, m, n, k);

        var buffers = GemmBuffers.Current;
        float* pb = buffers.PackB((long)kcStep * RoundUp(Math.Min(ncStep, n), NR));
        float* pa = buffers.PackA((long)kcStep * Math.Min(mcStep, RoundUp(m, MR)));

        for (int jc = 0; jc < n; jc += ncStep)
        {
            int nc = Math.Min(ncStep, n - jc);
            int panels = CeilDiv(nc, NR);
            for (int pc = 0; pc < k; pc += kcStep)
            {
                int kc = Math.Min(kcStep, k - pc);
                float betaEff = pc == 0 ? beta : 1f; // later K blocks accumulate onto the first one's result
                GemmPacking.PackB(f, transB, b, ldb, pc, kc, jc, nc, 0, panels, pb);
                for (int ic = 0; ic < m; ic += mcStep)
                {
                    int mc = Math.Min(mcStep, m - ic);
                    GemmPacking.PackA(f, transA, a, lda, ic, mc, pc, kc, pa);
                    MacroKernel(f, mc, nc, kc, alpha, pa, pb, betaEff, c + ic * ldc + jc, ldc);
                }
            }
        }
    }

    /// <summary>Block sizes: the fewest blocks under the caps, then equal sizes (rounded to the kernel's tile).</summary>
    internal static (int Kc, int Nc, int Mc) Steps(GemmFamily f, int m, int n, int k) => (
        RoundUp(CeilDiv(k, CeilDiv(k, f.KCMax)), 8),
        RoundUp(CeilDiv(n, CeilDiv(n, f.NCMax)), f.NR),
        RoundUp(CeilDiv(m, CeilDiv(m, f.MCMax)), f.MR));

    /// <summary>One packed A block times a run of packed B panels: mc x nc of C.</summary>
    internal static void MacroKernel(GemmFamily f, int mc, int nc, int kc, float alpha, float* pa, float* pb, float beta, float* c, nint ldc)
    {
        int MR = f.MR, NR = f.NR;
        for (int jr = 0; jr < nc; jr += NR, pb += (nint)NR * kc)
        {
            int nr = Math.Min(NR, nc - jr);
            for (int ir = 0; ir < mc; ir += MR)
                GemmMicroKernel.Tile(f, kc, pa + (nint)ir * kc, pb, c + ir * ldc + jr, ldc, alpha, beta, Math.Min(MR, mc - ir), nr);
        }
    }

    internal static int CeilDiv(int x, int y) => (x + y - 1) / y;
    internal static int RoundUp(int x, int y) => CeilDiv(x, y) * y;
}
