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
        bool inPlace = GemmBPanels.ReadInPlace(f, transB, m, n, k);

        var buffers = GemmBuffers.Current;
        float* pb = buffers.PackB((long)kcStep * (inPlace ? NR : RoundUp(Math.Min(ncStep, n), NR)));
        float* pa = buffers.PackA((long)kcStep * Math.Min(mcStep, RoundUp(m, MR)));

        for (int jc = 0; jc < n; jc += ncStep)
        {
            int nc = Math.Min(ncStep, n - jc);
            int panels = CeilDiv(nc, NR);
            for (int pc = 0; pc < k; pc += kcStep)
            {
                int kc = Math.Min(kcStep, k - pc);
                float betaEff = pc == 0 ? beta : 1f; // later K blocks accumulate onto the first one's result
                var bp = PrepareB(f, transB, b, ldb, pc, kc, jc, nc, 0, panels, inPlace, pb);
                for (int ic = 0; ic < m; ic += mcStep)
                {
                    int mc = Math.Min(mcStep, m - ic);
                    GemmPacking.PackA(f, transA, a, lda, ic, mc, pc, kc, pa);
                    MacroKernel(f, mc, nc, kc, alpha, pa, bp, 0, panels, betaEff, c + ic * ldc + jc, ldc);
                }
            }
        }
    }

    /// <summary>
    /// Makes panels [panel0, panel1) of the B block (rows pc..pc+kc, columns jc..jc+nc) ready for the
    /// micro-kernels and says where they are: packed into <paramref name="buffer"/> (panel 0 at its start), or
    /// in place with only a ragged last panel packed (at the buffer's start). The one place the drivers pack B.
    /// </summary>
    internal static GemmBPanels PrepareB(GemmFamily f, bool transB, float* b, nint ldb, int pc, int kc, int jc, int nc,
        int panel0, int panel1, bool inPlace, float* buffer)
    {
        if (!inPlace)
        {
            GemmPacking.PackB(f, transB, b, ldb, pc, kc, jc, nc, panel0, panel1, buffer);
            return GemmBPanels.Packed(f, buffer, kc);
        }
        var bp = GemmBPanels.InPlace(f, b + (nint)pc * ldb + jc, ldb, nc, buffer);
        int edge = bp.EdgePanel;
        if (edge >= panel0 && edge < panel1)
            GemmPacking.PackB(f, transB, b, ldb, pc, kc, jc, nc, edge, edge + 1, buffer - (nint)edge * f.NR * kc);
        return bp;
    }

    /// <summary>Block sizes: the fewest blocks under the caps, then equal sizes (rounded to the kernel's tile).</summary>
    internal static (int Kc, int Nc, int Mc) Steps(GemmFamily f, int m, int n, int k) => (
        RoundUp(CeilDiv(k, CeilDiv(k, f.KCMax)), 8),
        RoundUp(CeilDiv(n, CeilDiv(n, f.NCMax)), f.NR),
        RoundUp(CeilDiv(m, CeilDiv(m, f.MCMax)), f.MR));

    /// <summary>One packed A block times B panels [panel0, panel1): mc rows of C, from column panel0 * NR of the block.</summary>
    internal static void MacroKernel(GemmFamily f, int mc, int nc, int kc, float alpha, float* pa, in GemmBPanels bp,
        int panel0, int panel1, float beta, float* c, nint ldc)
    {
        int MR = f.MR, NR = f.NR;
        for (int q = panel0; q < panel1; q++)
        {
            int jr = q * NR;
            int nr = Math.Min(NR, nc - jr);
            float* pb = bp.Panel(q);
            nint rs = bp.RowStride(q);
            for (int ir = 0; ir < mc; ir += MR)
                GemmMicroKernel.Tile(f, kc, pa + (nint)ir * kc, pb, rs, c + ir * ldc + jr, ldc, alpha, beta, Math.Min(MR, mc - ir), nr);
        }
    }

    internal static int CeilDiv(int x, int y) => (x + y - 1) / y;
    internal static int RoundUp(int x, int y) => CeilDiv(x, y) * y;
}
