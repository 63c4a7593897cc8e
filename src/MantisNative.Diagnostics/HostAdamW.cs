using MantisNative.Backends;
using MantisNative.Tensors;
using MantisNative.Training;

namespace MantisNative.Diagnostics;

/// <summary>The CPU AdamW (Training.AdamW) over plain arrays: the reference for the device optimizer check.</summary>
internal static class HostAdamW
{
    /// <summary>The stochastic rounding seed both sides of the check use.</summary>
    public const uint Seed = 11;

    public static float[][] Steps(float[][] weights, float[][][] gradsPerStep, double lr, double weightDecay, MomentFormat states = MomentFormat.Fp32)
    {
        var ps = weights.Select(w => Tensor.FromArray(w, w.Length)).ToArray();
        try
        {
            using var opt = new AdamW { States = states, Seed = Seed };
            foreach (var grads in gradsPerStep)
            {
                for (int i = 0; i < ps.Length; i++)
                {
                    ps[i].ZeroGrad();
                    ps[i].Grad = TensorScope.Unscoped(() => Tensor.FromArray(grads[i], grads[i].Length));
                }
                opt.Update(ps.Select((p, i) => ($"w{i}", p, weightDecay)), lr);
            }
            return ps.Select(p => p.ToArray()).ToArray();
        }
        finally
        {
            foreach (var p in ps) p.Dispose();
        }
    }
}
