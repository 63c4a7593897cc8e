using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu;

internal sealed unsafe partial class CpuOps
{
    /// <summary>
    /// The AdamW contract (<see cref="AdamWStep"/>) in float, ordered as torch.optim.AdamW's single-tensor path:
    /// scalars in double, cast to float once, then float tensor math. On the host the master is the parameter itself.
    /// </summary>
    public void AdamW(IReadOnlyList<AdamWSlot> slots, AdamWStep step)
    {
        double bc1 = 1 - Math.Pow(step.Beta1, step.Step), bc2 = 1 - Math.Pow(step.Beta2, step.Step);
        float stepSize = (float)(step.Lr / bc1), bc2Sqrt = (float)Math.Sqrt(bc2);
        float b1 = (float)step.Beta1, b2 = (float)step.Beta2, oneMinusB1 = (float)(1 - step.Beta1), oneMinusB2 = (float)(1 - step.Beta2);
        float eps = (float)step.Eps, decay = (float)(1 - step.Lr * step.WeightDecay), scale = step.GradScale;
        bool decays = step.WeightDecay != 0;
        foreach (var slot in slots)
        {
            nint pw = (nint)slot.Master.Data, pg = (nint)slot.Grad.Data, pm = (nint)slot.M.Data, pv = (nint)slot.V.Data;
            Activations.Map(slot.Master.Numel, (i0, i1) =>
            {
                float* w = (float*)pw, gs = (float*)pg, m = (float*)pm, v = (float*)pv;
                for (long i = i0; i < i1; i++)
                {
                    float g = scale == 1f ? gs[i] : gs[i] * scale;
                    if (decays) w[i] *= decay;
                    m[i] = m[i] * b1 + g * oneMinusB1;
                    v[i] = v[i] * b2 + g * g * oneMinusB2;
                    float denom = MathF.Sqrt(v[i]) / bc2Sqrt + eps;
                    w[i] += -stepSize * (m[i] / denom);
                }
            });
            if (slot.Copy is not null && !ReferenceEquals(slot.Copy, slot.Master))
                slot.Master.Span.CopyTo(slot.Copy.Span);
        }
    }
}
