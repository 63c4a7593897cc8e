namespace MantisNative.Backends.Cuda;

/// <summary>Element strides (batch, token, head) of the query-side tensors (q, o, dO, dQ) and the key-side ones (k, v, dK, dV).</summary>
internal readonly record struct FlashLayout(long QBatch, long QToken, long QHead, long KBatch, long KToken, long KHead)
{
    /// <summary>The op's [B, H, T, D] layout.</summary>
    public static FlashLayout HeadMajor(AttentionGeometry g) =>
        new((long)g.Heads * g.QueryLen * g.HeadDim, g.HeadDim, (long)g.QueryLen * g.HeadDim,
            (long)g.KvHeads * g.KeyLen * g.HeadDim, g.HeadDim, (long)g.KeyLen * g.HeadDim);

    /// <summary>The projections' native [B, T, H, D] layout.</summary>
    public static FlashLayout TokenMajor(AttentionGeometry g) =>
        new((long)g.QueryLen * g.Heads * g.HeadDim, (long)g.Heads * g.HeadDim, g.HeadDim,
            (long)g.KeyLen * g.KvHeads * g.HeadDim, (long)g.KvHeads * g.HeadDim, g.HeadDim);

    public KernelArgs AddQ(KernelArgs a) => a.Long(QBatch).Long(QToken).Long(QHead);
    public KernelArgs AddK(KernelArgs a) => a.Long(KBatch).Long(KToken).Long(KHead);
}

/// <summary>Runs one kernel of flash_attention_sm80.cu: function, grid, dynamic shared bytes, arguments (block: 128 threads).</summary>
internal delegate void FlashLaunch(string function, Dim3 grid, uint sharedBytes, KernelArgs args);

/// <summary>
/// The launch sequences of the sm_80 attention kernels over device pointers, shared by CudaOps and the kernel checks
/// so both run exactly the same calls. kvLens (int32 [B]) and keyMask (uint8 [B, S]) may be 0.
/// </summary>
internal static class FlashAttentionCalls
{
    public static void Forward(FlashLaunch launch, AttentionGeometry g, FlashLayout lay, ulong q, ulong k, ulong v, ulong o, ulong lse,
        ulong kvLens, ulong keyMask)
    {
        if (g.QueryLen == 0 || g.Batch * g.Heads == 0) return;
        var args = new KernelArgs().Ptr(q).Ptr(k).Ptr(v).Ptr(o).Ptr(lse);
        lay.AddK(lay.AddQ(args)).Int(g.Heads).Int(g.KvHeads).Int(g.QueryLen).Int(g.KeyLen).Float(g.Scale).Int(g.Causal ? 1 : 0)
            .Ptr(kvLens).Ptr(keyMask);
        launch(FlashAttentionLaunch.Forward(g.HeadDim), FlashAttentionLaunch.ForwardGrid(g.Batch, g.Heads, g.QueryLen),
            FlashAttentionLaunch.ForwardSharedBytes(g.HeadDim), args);
    }

    /// <summary>F32 values of the decode scratch: partial outputs [splits, B, H, D] and their lse [splits, B, H].</summary>
    public static (long Out, long Lse) DecodeScratch(AttentionGeometry g, int splits) =>
        ((long)splits * g.Batch * g.Heads * g.HeadDim, (long)splits * g.Batch * g.Heads);

    /// <summary>One query token (QueryLen 1): split-KV partials, then the combine pass into o and lse.</summary>
    public static void Decode(FlashLaunch launch, AttentionGeometry g, FlashLayout lay, (int Chunk, int Splits) split,
        ulong q, ulong k, ulong v, ulong o, ulong lse, ulong kvLens, ulong keyMask, ulong oPart, ulong lsePart)
    {
        if (g.QueryLen != 1) throw new ArgumentException($"decode attention takes one query token, not {g.QueryLen}");
        if (g.Batch * g.Heads == 0) return;
        var args = new KernelArgs().Ptr(q).Ptr(k).Ptr(v).Ptr(oPart).Ptr(lsePart).Long(lay.QBatch).Long(lay.QHead);
        lay.AddK(args).Int(g.Batch).Int(g.Heads).Int(g.KvHeads).Int(g.KeyLen).Int(split.Chunk).Float(g.Scale).Ptr(kvLens).Ptr(keyMask);
        launch(FlashAttentionLaunch.Decode(g.HeadDim), new Dim3((uint)split.Splits, checked((uint)(g.Batch * g.KvHeads))),
            FlashAttentionLaunch.DecodeSharedBytes(g.HeadDim), args);
        launch(FlashAttentionLaunch.DecodeCombine, new Dim3(checked((uint)(g.Batch * g.Heads))), 0,
            new KernelArgs().Ptr(oPart).Ptr(lsePart).Ptr(o).Ptr(lse).Long(lay.QBatch).Long(lay.QHead)
                .Int(g.Batch).Int(g.Heads).Int(g.HeadDim).Int(split.Splits));
    }

    /// <summary>
    /// delta = rowsum(o * dO) into the F32 [B, H, T] scratch, then dK and dV (F32, key layout) when either pointer is
    /// set, then dQ (F32, query layout) when set. Every element of a requested gradient is written (no zeroing needed).
    /// </summary>
    public static void Backward(FlashLaunch launch, AttentionGeometry g, FlashLayout lay, int multiprocessors,
        ulong q, ulong k, ulong v, ulong o, ulong dout, ulong lse, ulong delta, ulong dq, ulong dk, ulong dv, ulong kvLens, ulong keyMask)
    {
        if (g.Batch * g.Heads == 0) return;
        if (g.QueryLen > 0)
            launch(FlashAttentionLaunch.Delta, FlashAttentionLaunch.DeltaGrid(g.Batch, g.Heads, g.QueryLen, multiprocessors), 0,
                lay.AddQ(new KernelArgs().Ptr(o).Ptr(dout).Ptr(delta)).Int(g.Batch).Int(g.Heads).Int(g.QueryLen).Int(g.HeadDim));
        KernelArgs Common(KernelArgs a) =>
            lay.AddK(lay.AddQ(a)).Int(g.Heads).Int(g.KvHeads).Int(g.QueryLen).Int(g.KeyLen).Float(g.Scale).Int(g.Causal ? 1 : 0)
                .Ptr(kvLens).Ptr(keyMask);
        if ((dk != 0 || dv != 0) && g.KeyLen > 0)
        {
            if (dk == 0 || dv == 0) throw new ArgumentException("the dK/dV pass writes both gradients: pass both buffers");
            launch(FlashAttentionLaunch.BackwardDkDv(g.HeadDim), FlashAttentionLaunch.DkDvGrid(g.Batch, g.KvHeads, g.KeyLen),
                FlashAttentionLaunch.DkDvSharedBytes(g.HeadDim),
                Common(new KernelArgs().Ptr(q).Ptr(k).Ptr(v).Ptr(dout).Ptr(lse).Ptr(delta).Ptr(dk).Ptr(dv)));
        }
        if (dq != 0 && g.QueryLen > 0)
            launch(FlashAttentionLaunch.BackwardDq(g.HeadDim), FlashAttentionLaunch.DqGrid(g.Batch, g.Heads, g.QueryLen),
                FlashAttentionLaunch.DqSharedBytes(g.HeadDim),
                Common(new KernelArgs().Ptr(q).Ptr(k).Ptr(v).Ptr(dout).Ptr(lse).Ptr(delta).Ptr(dq)));
    }
}
