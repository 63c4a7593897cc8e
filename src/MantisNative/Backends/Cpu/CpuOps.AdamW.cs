using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu;

internal sealed unsafe partial class CpuOps
{
    /// <summary>
    /// The AdamW contract (<see cref="AdamWStep"/>) in float, ordered as torch.optim.AdamW's single-tensor path:
    /// scalars in double, cast to float once, then float tensor math. On the host the master is the parameter itself.
    /// Moments in any <see cref="MomentFormat"/>: the update is the same fp32 arithmetic on the decoded moments, which
    /// are then stored back in their format (<see cref="MomentCodec"/>; kernels/adamw.cu is the device twin).
    /// </summary>
    public void AdamW(IReadOnlyList<AdamWSlot> slots, AdamWStep step)
    {
        var k = new AdamWScalars(step);
        foreach (var slot in slots)
        {
            if (slot.Grad.DType != DType.F32) throw new MantisException($"AdamW on the CPU: gradients are F32, got {slot.Grad.DType}");
            nint pw = (nint)slot.Master.Data, pg = (nint)slot.Grad.Data;
            switch (slot.Format)
            {
                case MomentFormat.Fp32:
                {
                    nint pm = (nint)slot.M.Data, pv = (nint)slot.V.Data;
                    Activations.Map(slot.Master.Numel, (i0, i1) =>
                    {
                        float* w = (float*)pw, gs = (float*)pg, m = (float*)pm, v = (float*)pv;
                        for (long i = i0; i < i1; i++)
                        {
                            float g = k.Grad(gs[i]);
                            if (k.Decays) w[i] *= k.Decay;
                            m[i] = m[i] * k.B1 + g * k.OneMinusB1;
                            v[i] = v[i] * k.B2 + g * g * k.OneMinusB2;
                            w[i] = k.Apply(w[i], m[i], v[i]);
                        }
                    });
                    break;
                }
                case MomentFormat.Bf16:
                {
                    nint pm = (nint)slot.M.Storage.Pointer, pv = (nint)slot.V.Storage.Pointer;
                    uint stream = slot.Stream;
                    Activations.Map(slot.Master.Numel, (i0, i1) =>
                    {
                        float* w = (float*)pw, gs = (float*)pg;
                        ushort* m = (ushort*)pm, v = (ushort*)pv;
                        for (long i = i0; i < i1; i++)
                        {
                            float g = k.Grad(gs[i]);
                            if (k.Decays) w[i] *= k.Decay;
                            float mi = MomentCodec.Bf16ToF32(m[i]) * k.B1 + g * k.OneMinusB1;
                            float vi = MomentCodec.Bf16ToF32(v[i]) * k.B2 + g * g * k.OneMinusB2;
                            w[i] = k.Apply(w[i], mi, vi);
                            uint r = MomentCodec.RandomBits(k.Seed, stream, k.Step, i);
                            m[i] = MomentCodec.StochasticBf16(mi, r & 0xFFFF);
                            v[i] = MomentCodec.StochasticBf16(vi, r >> 16);
                        }
                    });
                    break;
                }
                default:
                    Blockwise8Bit(slot, k, pw, pg);
                    break;
            }
            if (slot.Copy is not null && !ReferenceEquals(slot.Copy, slot.Master))
                slot.Master.Span.CopyTo(slot.Copy.Span);
        }
    }

    /// <summary>One block of <see cref="MomentCodec.BlockSize"/> values at a time: decode with the old absmax, update in fp32,
    /// take the new absmax of each moment, encode (kernels/adamw.cu adamw_8bit_impl, one CUDA block per block).</summary>
    private static void Blockwise8Bit(AdamWSlot slot, AdamWScalars k, nint pw, nint pg)
    {
        if (slot.MScale is null || slot.VScale is null) throw new MantisException("AdamW: 8-bit moments need their absmax tensors");
        long n = slot.Master.Numel;
        nint pm = (nint)slot.M.Storage.Pointer, pv = (nint)slot.V.Storage.Pointer, psm = (nint)slot.MScale.Data, psv = (nint)slot.VScale.Data;
        Activations.Map(MomentCodec.Blocks(n), (b0, b1) =>
        {
            float* w = (float*)pw, gs = (float*)pg, sm = (float*)psm, sv = (float*)psv;
            byte* m = (byte*)pm, v = (byte*)pv;
            ReadOnlySpan<float> smap = MomentCodec.Signed, umap = MomentCodec.Unsigned;
            Span<float> mb = stackalloc float[MomentCodec.BlockSize], vb = stackalloc float[MomentCodec.BlockSize];
            for (long b = b0; b < b1; b++)
            {
                long i0 = b * MomentCodec.BlockSize;
                int len = (int)Math.Min(MomentCodec.BlockSize, n - i0);
                float oldM = sm[b], oldV = sv[b], maxM = 0, maxV = 0;
                for (int j = 0; j < len; j++)
                {
                    long i = i0 + j;
                    float g = k.Grad(gs[i]);
                    if (k.Decays) w[i] *= k.Decay;
                    float mi = smap[m[i]] * oldM * k.B1 + g * k.OneMinusB1;
                    float vi = umap[v[i]] * oldV * k.B2 + g * g * k.OneMinusB2;
                    w[i] = k.Apply(w[i], mi, vi);
                    mb[j] = mi;
                    vb[j] = vi;
                    maxM = MathF.Max(maxM, MathF.Abs(mi));
                    maxV = MathF.Max(maxV, vi);
                }
                float invM = maxM > 0 ? 1f / maxM : 0f, invV = maxV > 0 ? 1f / maxV : 0f;
                for (int j = 0; j < len; j++)
                {
                    m[i0 + j] = MomentCodec.QuantizeNearest(mb[j] * invM, smap);
                    v[i0 + j] = MomentCodec.QuantizeNearest(vb[j] * invV, umap);
                }
                sm[b] = maxM;
                sv[b] = maxV;
            }
        });
    }

    /// <summary>The step's scalars, cast to float once (as the kernels receive them).</summary>
    private readonly struct AdamWScalars
    {
        public AdamWScalars(AdamWStep step)
        {
            double bc1 = 1 - Math.Pow(step.Beta1, step.Step), bc2 = 1 - Math.Pow(step.Beta2, step.Step);
            StepSize = (float)(step.Lr / bc1);
            Bc2Sqrt = (float)Math.Sqrt(bc2);
            (B1, B2, OneMinusB1, OneMinusB2) = ((float)step.Beta1, (float)step.Beta2, (float)(1 - step.Beta1), (float)(1 - step.Beta2));
            (Eps, Decay, Scale, Decays) = ((float)step.Eps, (float)(1 - step.Lr * step.WeightDecay), step.GradScale, step.WeightDecay != 0);
            (Seed, Step) = (step.Seed, step.Step);
        }

        public readonly float StepSize, Bc2Sqrt, B1, B2, OneMinusB1, OneMinusB2, Eps, Decay, Scale;
        public readonly bool Decays;
        public readonly uint Seed;
        public readonly int Step;

        public float Grad(float g) => Scale == 1f ? g : g * Scale;

        public float Apply(float w, float m, float v)
        {
            float denom = MathF.Sqrt(v) / Bc2Sqrt + Eps;
            return w + -StepSize * (m / denom);
        }
    }
}
