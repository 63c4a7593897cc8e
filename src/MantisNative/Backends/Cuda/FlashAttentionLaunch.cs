namespace MantisNative.Backends.Cuda;

/// <summary>
/// Launch geometry of kernels/flash_attention_sm80.cu (the sm_80+ tensor-core attention). The constants mirror
/// FA_WARPS, FA_BQ, FA_BK, FA_BQ_BWD, FA_BK_DQ there and the shared-memory sizes mirror FA_FWD_SMEM, FA_DKDV_SMEM,
/// FA_DQ_SMEM and the decode kernel's layout, so the two sides cannot drift.
/// </summary>
internal static class FlashAttentionLaunch
{
    public const string Source = "flash_attention_sm80";
    public const int Threads = 4 * 32;          // FA_THREADS
    public const int QueryRowsPerBlock = 64;    // FA_BQ (16 per warp)
    public const int KeysPerTile = 64;          // FA_BK (forward, decode tile; keys per dK/dV block)
    public const int BackwardQueryTile = 32;    // FA_BQ_BWD
    public const int DqKeyTile = 32;            // FA_BK_DQ
    public const int MaxDecodeGroup = 16;       // the decode kernel puts a group's query heads in the 16 mma rows

    /// <summary>Head dims with an entry point (the template takes any multiple of 8 up to 128).</summary>
    public static readonly IReadOnlyList<int> HeadDims = new[] { 8, 16, 24, 32, 64, 72, 80, 96, 128 };

    public static bool Supports(int headDim) => HeadDims.Contains(headDim);

    /// <summary>The tensor-core path needs mma.sync bf16, ldmatrix and cp.async: compute capability 8.0 or newer.</summary>
    public static bool RunsOn(CudaDeviceInfo device) => device.ComputeMajor >= 8;

    public static string Forward(int d) => $"flash_fwd_d{Check(d)}";
    public static string BackwardDkDv(int d) => $"flash_bwd_dkdv_d{Check(d)}";
    public static string BackwardDq(int d) => $"flash_bwd_dq_d{Check(d)}";
    public static string Decode(int d) => $"flash_decode_d{Check(d)}";
    public const string Delta = "flash_bwd_delta";
    public const string DecodeCombine = "flash_decode_combine";

    /// <summary>Shared row stride in elements: an odd number of 16-byte units, so ldmatrix's 8 rows never share banks.</summary>
    public static int SharedRow(int d) => d / 8 % 2 == 1 ? d : d + 8;

    public static uint ForwardSharedBytes(int d) => (uint)((QueryRowsPerBlock + 4 * KeysPerTile) * SharedRow(d) * 2);
    public static uint DkDvSharedBytes(int d) => (uint)((2 * KeysPerTile + 4 * BackwardQueryTile) * SharedRow(d) * 2 + 4 * BackwardQueryTile * 4);
    public static uint DqSharedBytes(int d) => (uint)((QueryRowsPerBlock + 4 * DqKeyTile) * SharedRow(d) * 2);
    public static uint DecodeSharedBytes(int d) => (uint)((16 + 4 * KeysPerTile) * SharedRow(d) * 2);

    public static Dim3 ForwardGrid(int batch, int heads, int seqQ) =>
        new(LaunchGeometry.CeilDiv(seqQ, QueryRowsPerBlock), checked((uint)(batch * heads)));

    public static Dim3 DkDvGrid(int batch, int kvHeads, int seqK) =>
        new(LaunchGeometry.CeilDiv(seqK, KeysPerTile), checked((uint)(batch * kvHeads)));

    public static Dim3 DqGrid(int batch, int heads, int seqQ) => ForwardGrid(batch, heads, seqQ);

    public static Dim3 DeltaGrid(int batch, int heads, int seqQ, int multiprocessors) =>
        new(Math.Min(LaunchGeometry.CeilDiv((long)batch * heads * seqQ, 4), (uint)Math.Max(multiprocessors, 1) * 32));

    /// <summary>
    /// The split of a decode step's keys: enough (batch, kv head, split) blocks to fill the device twice, each
    /// split a whole number of 64-key tiles. Returns the keys per split and the number of splits.
    /// </summary>
    public static (int Chunk, int Splits) DecodeSplit(int batch, int kvHeads, int seqK, int multiprocessors)
    {
        int tiles = Math.Max(1, (seqK + KeysPerTile - 1) / KeysPerTile);
        long blocks = Math.Max(1L, (long)batch * kvHeads);
        int want = (int)Math.Clamp((2L * Math.Max(multiprocessors, 1) + blocks - 1) / blocks, 1, 64);
        int splits = Math.Min(want, tiles);
        int chunk = (tiles + splits - 1) / splits * KeysPerTile;
        return (chunk, Math.Max(1, (seqK + chunk - 1) / chunk));
    }

    /// <summary>Decode runs for one query token when the group's query heads fit the 16 mma rows.</summary>
    public static bool UsesDecode(int queryLen, int heads, int kvHeads) => queryLen == 1 && heads / kvHeads <= MaxDecodeGroup;

    private static int Check(int d) =>
        Supports(d) ? d : throw new NotSupportedException($"sm_80 attention kernels exist for head dims {string.Join(", ", HeadDims)}, not {d}");
}
