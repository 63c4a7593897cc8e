using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// Attention on the device (kernels/attention.cu; the forward on sm_90 through kernels/flash_attention_sm90.cu). The op's layout is [B, H, T, D]; the kernels read
// [B, T, H, D], so q, k, v, the output and its gradient are permuted on the way in and the results on the way out
// (the backward permutes its inputs again rather than keeping four copies alive from the forward; a layout-native
// path is a later speed issue).
internal sealed partial class CudaOps
{
    private static readonly int[] SwapHeadsAndTokens = { 0, 2, 1, 3 };

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

    public (Tensor O, Tensor Lse) AttentionForward(Tensor q, Tensor k, Tensor v, Tensor? keyValid, AttentionGeometry geo)
    {
        RequireBf16("Attention", q, k, v);
        RequireMask(keyValid);
        var (B, H, T, D, Hkv, S) = (geo.Batch, geo.Heads, geo.QueryLen, geo.HeadDim, geo.KvHeads, geo.KeyLen);
        RequireKernel(q, D);
        using var qt = ToTokenMajor(q);
        using var kt = ToTokenMajor(k);
        using var vt = ToTokenMajor(v);
        using var ot = Tensor.EmptyOn(q.Device, qt.Shape, DType.BF16);
        var lse = EmptyF32(q, new Shape(B, H, T));
        if (T > 0 && B * H > 0 && S > 0 && FlashAttentionSm90.Selected(_be.Context.Device, D))
            _be.Launch(FlashAttentionSm90.Module, FlashAttentionSm90.ForwardFunction(D), FlashAttentionSm90.Grid(B, H, T),
                FlashAttentionSm90.Args(P(qt), P(kt), P(vt), P(ot), P(lse), B, H, Hkv, T, S, D, geo.Scale, geo.Causal, 0UL, P(keyValid)),
                FlashAttentionSm90.Threads, FlashAttentionSm90.SharedBytes(D));
        else if (T > 0 && B * H > 0)
            _be.Launch("attention", AttentionLaunch.ForwardFunction(D), AttentionLaunch.ForwardGrid(B, H, T),
                new KernelArgs().Ptr(P(qt)).Ptr(P(kt)).Ptr(P(vt)).Ptr(P(ot)).Ptr(P(lse)).Int(H).Int(Hkv).Int(T).Int(S)
                    .Float(geo.Scale).Int(geo.Causal ? 1 : 0).Ptr(0UL).Ptr(P(keyValid)), AttentionLaunch.Threads);
        var o = Tensor.EmptyOn(q.Device, q.Shape, DType.BF16);
        PermuteInto(ot, SwapHeadsAndTokens, o);
        return (o, lse);
    }

    public (Tensor? Q, Tensor? K, Tensor? V) AttentionBackward(Tensor g, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor? keyValid,
        AttentionGeometry geo, bool needQ, bool needK, bool needV)
    {
        RequireBf16("Attention backward", g, q, k, v, o);
        RequireMask(keyValid);
        var (B, H, T, D, Hkv, S) = (geo.Batch, geo.Heads, geo.QueryLen, geo.HeadDim, geo.KvHeads, geo.KeyLen);
        using var qt = ToTokenMajor(q);
        using var kt = ToTokenMajor(k);
        using var vt = ToTokenMajor(v);
        using var ot = ToTokenMajor(o);
        using var gt = ToTokenMajor(g);
        using var delta = EmptyF32(q, new Shape(B, H, T));
        using var dq = ZerosF32(qt);
        using var dk = ZerosF32(kt);
        using var dv = ZerosF32(vt);
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
        // fp32 gradients back to the op's layout; accumulation rounds them into BF16 intermediates
        Tensor? Back(bool need, Tensor input, Tensor g32)
        {
            if (!need) return null;
            var gi = Tensor.EmptyOn(input.Device, input.Shape, DType.F32);
            PermuteInto(g32, SwapHeadsAndTokens, gi);
            return gi;
        }
        return (Back(needQ, q, dq), Back(needK, k, dk), Back(needV, v, dv));
    }
}
