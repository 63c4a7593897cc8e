using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// Attention on the device (kernels/attention.cu). The op's layout is [B, H, T, D]; the kernels read
// [B, T, H, D], so q, k, v and the output gradient are permuted on the way in and the results on the way out
// (correct first; a layout-native path is a later speed issue).
public static partial class CudaOps
{
    private static readonly int[] SwapHeadsAndTokens = { 0, 2, 1, 3 };

    private static Tensor ToTokenMajor(Tensor x)
    {
        var y = Tensor.EmptyOn(x.Device, new Shape(x.Dim(0), x.Dim(2), x.Dim(1), x.Dim(3)), x.DType);
        PermuteInto(x, SwapHeadsAndTokens, y);
        return y;
    }

    public static Tensor Attention(Tensor q, Tensor k, Tensor v, bool causal, bool[]? keyValid, float scale)
    {
        RequireBf16("Attention", q, k, v);
        int B = q.Dim(0), H = q.Dim(1), T = q.Dim(2), D = q.Dim(3), Hkv = k.Dim(1), S = k.Dim(2);
        if (!AttentionLaunch.Supports(D))
            throw new MantisException($"Attention on {q.Device}: no kernel for head dim {D} (have {string.Join(", ", AttentionLaunch.HeadDims)})");
        var be = Be(q);
        var qt = ToTokenMajor(q);
        var kt = ToTokenMajor(k);
        var vt = ToTokenMajor(v);
        var mask = keyValid is null ? null : Bytes(q, keyValid, B, S);
        var ot = Tensor.EmptyOn(q.Device, qt.Shape, DType.BF16);
        var lse = EmptyF32(q, new Shape(B, H, T));
        if (T > 0 && B * H > 0)
            be.Launch("attention", AttentionLaunch.ForwardFunction(D), AttentionLaunch.ForwardGrid(B, H, T),
                new KernelArgs().Ptr(P(qt)).Ptr(P(kt)).Ptr(P(vt)).Ptr(P(ot)).Ptr(P(lse)).Int(H).Int(Hkv).Int(T).Int(S)
                    .Float(scale).Int(causal ? 1 : 0).Ptr(0UL).Ptr(P(mask)), AttentionLaunch.Threads);
        var o = Tensor.EmptyOn(q.Device, q.Shape, DType.BF16);
        PermuteInto(ot, SwapHeadsAndTokens, o);
        if (!Tape.Needs(q, k, v))
        {
            foreach (var t in new[] { qt, kt, vt, ot, lse, mask }) t?.Dispose();
            return o;
        }
        Record(o, g =>
        {
            using var gt = ToTokenMajor(g);
            using var delta = EmptyF32(q, new Shape(B, H, T));
            using var dq = ZerosF32(qt);
            using var dk = ZerosF32(kt);
            using var dv = ZerosF32(vt);
            if (T > 0 && B * H > 0)
            {
                be.Launch("attention", "attention_backward_delta", AttentionLaunch.DeltaGrid(B, H, T, be.Context.Device.MultiprocessorCount),
                    new KernelArgs().Ptr(P(ot)).Ptr(P(gt)).Ptr(P(delta)).Int(B).Int(H).Int(T).Int(D), AttentionLaunch.Threads);
                if (S > 0)
                    be.Launch("attention", AttentionLaunch.BackwardFunction(D), AttentionLaunch.BackwardGrid(B, H, S),
                        new KernelArgs().Ptr(P(qt)).Ptr(P(kt)).Ptr(P(vt)).Ptr(P(gt)).Ptr(P(lse)).Ptr(P(delta)).Ptr(P(dq)).Ptr(P(dk)).Ptr(P(dv))
                            .Int(H).Int(Hkv).Int(T).Int(S).Float(scale).Int(causal ? 1 : 0).Ptr(0UL).Ptr(P(mask)),
                        AttentionLaunch.Threads, AttentionLaunch.BackwardSharedBytes(D));
            }
            // fp32 gradients back to the op's layout; AccumulateGrad rounds them into BF16 intermediates
            void Back(Tensor input, Tensor g32)
            {
                if (!input.RequiresGrad) return;
                using var gi = Tensor.EmptyOn(input.Device, input.Shape, DType.F32);
                PermuteInto(g32, SwapHeadsAndTokens, gi);
                input.AccumulateGrad(gi);
            }
            Back(q, dq);
            Back(k, dk);
            Back(v, dv);
        });
        return o;
    }
}
