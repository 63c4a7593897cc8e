using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// Attention on the device, in either of the op's layouts (geo.TokenMajor: [B, T, H, D], the projections' own;
// else [B, H, T, D]). Compute capability 8.0 and newer: the tensor-core kernels of kernels/flash_attention_sm80.cu,
// which take strides and read and write both layouts in place (no permute copies), with a split-KV decode kernel
// for one query token. Older devices: the scalar kernels of kernels/attention.cu, which read [B, T, H, D]: a
// token-major call runs on the tensors themselves, a head-major one permutes q, k, v, the output and the gradients.
// Compute capability 9.0: the forward of kernels/flash_attention_sm90.cu (TMA, wgmma; FlashAttentionSm90: its
// tensor maps take the op's head, token and batch strides, so it too reads either layout in place), and the sm_80
// backward (it reads the same lse).
internal sealed partial class CudaOps
{
    private static readonly int[] SwapHeadsAndTokens = { 0, 2, 1, 3 };

    /// <summary>A [B, H, T, D] tensor's token-major copy, or null when the call is token-major already (use x itself).</summary>
    private Tensor? TokenMajorCopy(Tensor x, AttentionGeometry geo) => geo.TokenMajor ? null : ToTokenMajor(x);

    private static FlashLayout Layout(AttentionGeometry geo) => geo.TokenMajor ? FlashLayout.TokenMajor(geo) : FlashLayout.HeadMajor(geo);

    private Tensor ToTokenMajor(Tensor x)
    {
        var y = Tensor.EmptyOn(x.Device, new Shape(x.Dim(0), x.Dim(2), x.Dim(1), x.Dim(3)), x.DType);
        PermuteInto(x, SwapHeadsAndTokens, y);
        return y;
    }

    private static void RequireKernel(Tensor q, int d)
    {
        if (!AttentionLaunch.Supports(d))
            throw new MantisException($"Attention on {q.Device}: no kernel for head dim {d} (have {string.Join(", ", AttentionLaunch.HeadDims)})");
    }

    private static void RequireMask(Tensor? keyValid)
    {
        if (keyValid is not null && keyValid.DType is not (DType.U8 or DType.Bool))
            throw new MantisException($"Attention on {keyValid.Device}: the key mask must be U8 or Bool, got {keyValid.DType}");
    }

    private bool UsesFlash(int headDim) => FlashAttentionLaunch.RunsOn(_be.Context.Device) && FlashAttentionLaunch.Supports(headDim);

    private void LaunchFlash(string function, Dim3 grid, uint sharedBytes, KernelArgs args) =>
        _be.Launch(FlashAttentionLaunch.Source, function, grid, args, FlashAttentionLaunch.Threads, sharedBytes);

    public (Tensor O, Tensor Lse) AttentionForward(Tensor q, Tensor k, Tensor v, Tensor? keyValid, AttentionGeometry geo)
    {
        RequireBf16("Attention", q, k, v);
        RequireMask(keyValid);
        var (B, H, T, D, Hkv, S) = (geo.Batch, geo.Heads, geo.QueryLen, geo.HeadDim, geo.KvHeads, geo.KeyLen);
        if (T > 0 && S > 0 && B * H > 0 && FlashAttentionSm90.Selected(_be.Context.Device, D)) return Sm90Forward(q, k, v, keyValid, geo);
        if (UsesFlash(D)) return FlashForward(q, k, v, keyValid, geo);
        RequireKernel(q, D);
        using var qc = TokenMajorCopy(q, geo);
        using var kc = TokenMajorCopy(k, geo);
        using var vc = TokenMajorCopy(v, geo);
        Tensor qt = qc ?? q, kt = kc ?? k, vt = vc ?? v;
        var ot = Tensor.EmptyOn(q.Device, qt.Shape, DType.BF16);
        var lse = EmptyF32(q, new Shape(B, H, T));
        if (T > 0 && B * H > 0)
            _be.Launch("attention", AttentionLaunch.ForwardFunction(D), AttentionLaunch.ForwardGrid(B, H, T),
                new KernelArgs().Ptr(P(qt)).Ptr(P(kt)).Ptr(P(vt)).Ptr(P(ot)).Ptr(P(lse)).Int(H).Int(Hkv).Int(T).Int(S)
                    .Float(geo.Scale).Int(geo.Causal ? 1 : 0).Ptr(0UL).Ptr(P(keyValid)), AttentionLaunch.Threads);
        return (geo.TokenMajor ? ot : ToHeadMajor(ot, q, DType.BF16), lse);
    }

    /// <summary>A token-major result back in the head-major input's shape (consumes <paramref name="tokenMajor"/>).</summary>
    private Tensor ToHeadMajor(Tensor tokenMajor, Tensor input, DType dtype)
    {
        using (tokenMajor)
        {
            var y = Tensor.EmptyOn(input.Device, input.Shape, dtype);
            PermuteInto(tokenMajor, SwapHeadsAndTokens, y);
            return y;
        }
    }

    public (Tensor? Q, Tensor? K, Tensor? V) AttentionBackward(Tensor g, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor? keyValid,
        AttentionGeometry geo, bool needQ, bool needK, bool needV)
    {
        RequireBf16("Attention backward", g, q, k, v, o);
        RequireMask(keyValid);
        var (B, H, T, D, Hkv, S) = (geo.Batch, geo.Heads, geo.QueryLen, geo.HeadDim, geo.KvHeads, geo.KeyLen);
        if (UsesFlash(D)) return FlashBackward(g, q, k, v, o, lse, keyValid, geo, needQ, needK, needV);
        using var qc = TokenMajorCopy(q, geo);
        using var kc = TokenMajorCopy(k, geo);
        using var vc = TokenMajorCopy(v, geo);
        using var oc = TokenMajorCopy(o, geo);
        using var gc = TokenMajorCopy(g, geo);
        Tensor qt = qc ?? q, kt = kc ?? k, vt = vc ?? v, ot = oc ?? o, gt = gc ?? g;
        using var delta = EmptyF32(q, new Shape(B, H, T));
        var dq = ZerosF32(qt);
        var dk = ZerosF32(kt);
        var dv = ZerosF32(vt);
        if (T > 0 && B * H > 0)
        {
            _be.Launch("attention", "attention_backward_delta", AttentionLaunch.DeltaGrid(B, H, T, _be.Context.Device.MultiprocessorCount),
                new KernelArgs().Ptr(P(ot)).Ptr(P(gt)).Ptr(P(delta)).Int(B).Int(H).Int(T).Int(D), AttentionLaunch.Threads);
            if (S > 0)
                _be.Launch("attention", AttentionLaunch.BackwardFunction(D), AttentionLaunch.BackwardGrid(B, H, S),
                    new KernelArgs().Ptr(P(qt)).Ptr(P(kt)).Ptr(P(vt)).Ptr(P(gt)).Ptr(P(lse)).Ptr(P(delta)).Ptr(P(dq)).Ptr(P(dk)).Ptr(P(dv))
                        .Int(H).Int(Hkv).Int(T).Int(S).Float(geo.Scale).Int(geo.Causal ? 1 : 0).Ptr(0UL).Ptr(P(keyValid)),
                    AttentionLaunch.Threads, AttentionLaunch.BackwardSharedBytes(D));
        }
        // fp32 gradients in the op's layout; accumulation rounds them into BF16 intermediates
        Tensor? Back(bool need, Tensor input, Tensor g32)
        {
            if (!need) { g32.Dispose(); return null; }
            return geo.TokenMajor ? g32 : ToHeadMajor(g32, input, DType.F32);
        }
        return (Back(needQ, q, dq), Back(needK, k, dk), Back(needV, v, dv));
    }

    private (Tensor O, Tensor Lse) Sm90Forward(Tensor q, Tensor k, Tensor v, Tensor? keyValid, AttentionGeometry geo)
    {
        // the tensor maps and the output take the op's own strides: either layout is read and written in place
        var o = Tensor.EmptyOn(q.Device, q.Shape, DType.BF16);
        var lse = EmptyF32(q, new Shape(geo.Batch, geo.Heads, geo.QueryLen));
        _be.Launch(FlashAttentionSm90.Module, FlashAttentionSm90.ForwardFunction(geo.HeadDim), FlashAttentionSm90.Grid(geo.Batch, geo.Heads, geo.QueryLen),
            FlashAttentionSm90.Args(geo, Layout(geo), P(q), P(k), P(v), P(o), P(lse), 0UL, P(keyValid)),
            FlashAttentionSm90.Threads, FlashAttentionSm90.SharedBytes(geo.HeadDim));
        return (o, lse);
    }

    private (Tensor O, Tensor Lse) FlashForward(Tensor q, Tensor k, Tensor v, Tensor? keyValid, AttentionGeometry geo)
    {
        var lay = Layout(geo);
        var o = Tensor.EmptyOn(q.Device, q.Shape, DType.BF16);
        var lse = EmptyF32(q, new Shape(geo.Batch, geo.Heads, geo.QueryLen));
        if (FlashAttentionLaunch.UsesDecode(geo.QueryLen, geo.Heads, geo.KvHeads))
        {
            var split = FlashAttentionLaunch.DecodeSplit(geo.Batch, geo.KvHeads, geo.KeyLen, _be.Context.Device.MultiprocessorCount);
            var (outs, lses) = FlashAttentionCalls.DecodeScratch(geo, split.Splits);
            using var oPart = EmptyF32(q, new Shape(checked((int)outs)));
            using var lsePart = EmptyF32(q, new Shape(checked((int)lses)));
            FlashAttentionCalls.Decode(LaunchFlash, geo, lay, split, P(q), P(k), P(v), P(o), P(lse), 0UL, P(keyValid), P(oPart), P(lsePart));
        }
        else
            FlashAttentionCalls.Forward(LaunchFlash, geo, lay, P(q), P(k), P(v), P(o), P(lse), 0UL, P(keyValid));
        return (o, lse);
    }

    private (Tensor? Q, Tensor? K, Tensor? V) FlashBackward(Tensor g, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor? keyValid,
        AttentionGeometry geo, bool needQ, bool needK, bool needV)
    {
        // F32 gradients in the op's layout, every element written by the kernels; dK and dV come from one pass
        using var delta = EmptyF32(q, new Shape(geo.Batch, geo.Heads, geo.QueryLen));
        var dq = needQ ? EmptyF32(q, q.Shape) : null;
        var dk = needK || needV ? EmptyF32(k, k.Shape) : null;
        var dv = needK || needV ? EmptyF32(v, v.Shape) : null;
        FlashAttentionCalls.Backward(LaunchFlash, geo, Layout(geo), _be.Context.Device.MultiprocessorCount,
            P(q), P(k), P(v), P(o), P(g), P(lse), P(delta), P(dq), P(dk), P(dv), 0UL, P(keyValid));
        if (!needK) { dk?.Dispose(); dk = null; }
        if (!needV) { dv?.Dispose(); dv = null; }
        return (dq, dk, dv);
    }
}
