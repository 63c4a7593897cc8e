using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// The sm_90a forward of kernels/flash_attention_sm90.cu (FA3 design: TMA, mbarriers, wgmma, a producer and two
/// consumer warpgroups): when it is selected, its launch geometry (mirroring FA3_* there) and the TMA tensor maps it
/// reads Q, K and V through. The backward stays on the kernels of attention.cu (they read the same lse).
/// </summary>
internal static class FlashAttentionSm90
{
    public const int Threads = 384;              // FA3_THREADS: producer + 2 consumer warpgroups
    public const int QueryRowsPerBlock = 128;    // FA3_BM * FA3_CONSUMERS
    public const string Module = "flash_attention_sm90";
    public const string DisableVariable = "MANTIS_ATTENTION_SM90";   // "0": use the portable kernels on sm_90 too

    public static readonly IReadOnlyList<int> HeadDims = new[] { 64, 72, 80, 96, 128 };

    /// <summary>On compute capability 9.0 (wgmma and setmaxnreg exist only there, compiled as sm_90a), for its head
    /// dims, unless MANTIS_ATTENTION_SM90=0. TMA needs 16-byte aligned rows: every head dim here is a multiple of 8.</summary>
    public static bool Selected(CudaDeviceInfo device, int headDim) =>
        device.ComputeMajor == 9 && device.ComputeMinor == 0 && HeadDims.Contains(headDim)
        && Environment.GetEnvironmentVariable(DisableVariable) != "0";

    public static string ForwardFunction(int headDim) => $"flash_attention_sm90_fwd_d{headDim}";

    public static Dim3 Grid(int batch, int heads, int seqQ) =>
        new(LaunchGeometry.CeilDiv(seqQ, QueryRowsPerBlock), checked((uint)heads), checked((uint)batch));

    private static int Chunks(int headDim) => (headDim + 63) / 64;

    /// <summary>FA3_SMEM_BYTES(D): alignment slack, Q for 2 consumers + K and V for 2 stages (64 x 128-byte chunks), 10 mbarriers.</summary>
    public static uint SharedBytes(int headDim) => (uint)(1024 + (2 + 2 * 2) * Chunks(headDim) * 64 * 128 + 8 * (2 + 3 * 2));

    /// <summary>A bf16 attention tensor (head, token and batch strides in elements: token-major [batch, tokens, heads,
    /// headDim] or head-major [batch, heads, tokens, headDim], read in place) as the kernel's 4-d map: dims {headDim,
    /// heads, tokens, batch}, box {64, 1, 64, 1}: 64 rows x 128 bytes, swizzled by 128 bytes. TMA takes the strides in
    /// any order; each must be a multiple of 16 bytes (every head dim here is a multiple of 8).</summary>
    public static CuTensorMap Map(ulong pointer, int batch, int tokens, int heads, int headDim, long headStride, long tokenStride, long batchStride)
    {
        ReadOnlySpan<ulong> dims = stackalloc ulong[] { (ulong)headDim, (ulong)heads, (ulong)Math.Max(tokens, 1), (ulong)batch };
        ReadOnlySpan<ulong> strides = stackalloc ulong[] { (ulong)headStride * 2, (ulong)tokenStride * 2, (ulong)batchStride * 2 };
        ReadOnlySpan<uint> box = stackalloc uint[] { 64, 1, 64, 1 };
        return CudaTensorMap.EncodeTiled(CuTensorMapDataType.BFloat16, pointer, dims, strides, box, CuTensorMapSwizzle.Bytes128);
    }

    /// <summary>The kernel's arguments for q, k, v, o in the layout <paramref name="lay"/> (o takes q's strides).
    /// kvLens (int32 [B]) and keyMask (uint8 [B, S]) may be 0.</summary>
    public static KernelArgs Args(AttentionGeometry g, FlashLayout lay, ulong q, ulong k, ulong v, ulong o, ulong lse, ulong kvLens, ulong keyMask) =>
        new KernelArgs()
            .Add(Map(q, g.Batch, g.QueryLen, g.Heads, g.HeadDim, lay.QHead, lay.QToken, lay.QBatch))
            .Add(Map(k, g.Batch, g.KeyLen, g.KvHeads, g.HeadDim, lay.KHead, lay.KToken, lay.KBatch))
            .Add(Map(v, g.Batch, g.KeyLen, g.KvHeads, g.HeadDim, lay.KHead, lay.KToken, lay.KBatch))
            .Ptr(o).Ptr(lse).Int(g.Heads).Int(g.KvHeads).Int(g.QueryLen).Int(g.KeyLen).Float(g.Scale).Int(g.Causal ? 1 : 0).Ptr(kvLens).Ptr(keyMask)
            .Long(lay.QHead).Long(lay.QToken).Long(lay.QBatch);
}
