namespace MantisNative.Backends.Cuda;

/// <summary>
/// Launch geometry of kernels/attention.cu, kept beside each other so the two sides cannot drift:
/// the constants mirror ATT_WARPS, ATT_BR and ATT_BC there, and <see cref="BackwardSharedBytes"/> mirrors the
/// layout of its dynamic shared memory.
/// </summary>
internal static class AttentionLaunch
{
    public const int Warps = 4;                       // ATT_WARPS
    public const int QueryRowsPerBlock = Warps * 4;   // ATT_BR
    public const int KeysPerTile = 32;                // ATT_BC
    public const int Threads = Warps * 32;

    public static readonly IReadOnlyList<int> HeadDims = new[] { 8, 16, 24, 32, 64, 72, 80, 128 };

    public static bool Supports(int headDim) => HeadDims.Contains(headDim);

    public static string ForwardFunction(int headDim) => $"attention_forward_d{Check(headDim)}";
    public static string BackwardFunction(int headDim) => $"attention_backward_d{Check(headDim)}";

    public static Dim3 ForwardGrid(int batch, int heads, int seqQ) =>
        new(LaunchGeometry.CeilDiv(seqQ, QueryRowsPerBlock), checked((uint)(batch * heads)));

    public static Dim3 BackwardGrid(int batch, int heads, int seqK) =>
        new(LaunchGeometry.CeilDiv(seqK, KeysPerTile), checked((uint)(batch * heads)));

    /// <summary>K, V, dK, dV tiles of 32 x (D+1) floats, plus a query row and a dO row per warp.</summary>
    public static uint BackwardSharedBytes(int headDim) =>
        (uint)((4 * KeysPerTile * (Check(headDim) + 1) + 2 * Warps * headDim) * sizeof(float));

    /// <summary>attention_backward_delta: one warp per (batch, head, query) row.</summary>
    public static Dim3 DeltaGrid(int batch, int heads, int seqQ, int multiprocessors) =>
        new(Math.Min(LaunchGeometry.CeilDiv((long)batch * heads * seqQ, Warps), (uint)Math.Max(multiprocessors, 1) * 32));

    private static int Check(int headDim) =>
        Supports(headDim) ? headDim
            : throw new NotSupportedException($"attention kernels exist for head dims {string.Join(", ", HeadDims)}, not {headDim}");
}
