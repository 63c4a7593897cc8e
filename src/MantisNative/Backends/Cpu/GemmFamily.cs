namespace MantisNative.Backends.Cpu;

/// <summary>
/// One micro-kernel family's register tile (MR x NR, which fixes the packed layouts) and its cache blocking,
/// derived from the cache sizes the OS reports:
/// <list type="bullet">
/// <item>KC: the B micro-panel (KC x NR) fills a set fraction of L1d while A micro-panels stream past it
/// (2/3 for the 12x32 AVX-512 tile, which leaves KC at the swept-best 256 on 48 KB; 1/2 for the others, the
/// BLIS choice for 6x16 AVX2 on 32 KB, 256); where that gives the AVX-512 tile less than 256, KC 384;</item>
/// <item>MC: the packed A block (MC x KC) takes a quarter of the core's L2 (AVX-512: at most 192 rows);</item>
/// <item>NC: the shared B panel (KC x NC) is 2 MB, read by every thread from L2/L3.</item>
/// </list>
/// Blocks are then shrunk to split each problem evenly (<see cref="GemmBlocked.Steps"/>).
/// </summary>
internal sealed class GemmFamily
{
    public CpuIsa Isa { get; }
    public int MR { get; }
    public int NR { get; }

    /// <summary>Block caps; settable so `gemm-tune` can sweep them.</summary>
    internal int KCMax, MCMax, NCMax;

    private GemmFamily(CpuIsa isa, int mr, int nr, double l1Fraction, int mcCapTiles, int shallowKc = 0)
    {
        Isa = isa; MR = mr; NR = nr;
        KCMax = Math.Clamp(RoundDown((int)(CpuCaches.L1Data * l1Fraction / (nr * sizeof(float))), 8), 64, 768);
        if (shallowKc > 0 && KCMax < 256) KCMax = shallowKc;
        MCMax = Math.Clamp(RoundDown(CpuCaches.L2 / 4 / (KCMax * sizeof(float)), mr), 4 * mr, mcCapTiles * mr);
        NCMax = Math.Clamp(RoundDown((2 << 20) / (KCMax * sizeof(float)), nr), 8 * nr, 8192);
    }

    // AVX-512: MC capped at 192 rows (16 tiles), the value tuned on Zen 5; a 480-row cap (what a 2 MB L2
    // allows) measured ~10 % slower on the tiny model's training step here (its GEMMs have m = 5,376, k = 128).
    // On a 32 KB L1d (Zen 4) the 2/3 rule gives KC 168: 24 C accumulators loaded and stored every 168 k, and
    // measured 10-15 % slower than KC 384 (gemm-tune, one thread, CPU time: sq1024 90 -> 99 GFLOP/s, llama-qo
    // 81 -> 93, siglip-qkvo 85 -> 99); the deeper B micro-panel (48 KB) then streams from L2, which Zen 4's
    // double-pumped 512-bit FMAs do not outrun. 48 KB cores (Zen 5, Sapphire Rapids) keep their swept 256.
    private static readonly GemmFamily Avx512 = new(CpuIsa.Avx512, GemmKernel512.MR, GemmKernel512.NR, 2.0 / 3, 16, shallowKc: 384);
    private static readonly GemmFamily Avx2 = new(CpuIsa.Avx2, GemmKernel256.MR, GemmKernel256.NR, 0.5, 40);
    private static readonly GemmFamily Neon = new(CpuIsa.Neon, GemmKernel128.MR, GemmKernel128.NR, 0.5, 40);
    private static readonly GemmFamily Scalar = new(CpuIsa.Scalar, GemmKernelScalar.MR, GemmKernelScalar.NR, 0.5, 40);

    public static GemmFamily For(CpuIsa isa) => isa switch
    {
        CpuIsa.Avx512 => Avx512,
        CpuIsa.Avx2 => Avx2,
        CpuIsa.Neon => Neon,
        _ => Scalar,
    };

    /// <summary>The family of <see cref="CpuIsaSelection.Active"/>; read once per GEMM call.</summary>
    public static GemmFamily Active => For(CpuIsaSelection.Active);

    public override string ToString() => $"{Isa} {MR}x{NR}, KC {KCMax}, MC {MCMax}, NC {NCMax}";

    private static int RoundDown(int x, int y) => x / y * y;
}
