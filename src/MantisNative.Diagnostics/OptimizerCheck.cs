using MantisNative.Backends;
using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Diagnostics;

/// <summary>Three AdamW steps with weight decay on the target against the CPU AdamW: fp32 master weights (<see cref="Tolerances.Fp32MasterSteps"/>).</summary>
internal static class OptimizerCheck
{
    public static IReadOnlyList<CheckRow> Run(ICheckTarget target, Random rng)
    {
        int[] sizes = { 1000, 37, 4096, 5000 };
        float[] R(int n, float scale) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
        var weights = sizes.Select(n => R(n, 1f)).ToArray();
        var grads = Enumerable.Range(0, 3).Select(_ => sizes.Select(n => R(n, 0.1f)).ToArray()).ToArray();
        const double lr = 1e-2, wd = 0.1;
        try
        {
            var want = HostAdamW.Steps(weights, grads, lr, wd);
            var got = target.AdamWSteps(weights, grads, lr, wd);
            var rows = sizes.Select((n, i) => OpCheckRunner.Compare("adamw", $"master {i}", got[i], want[i], Tolerances.Fp32MasterSteps.For(target.Activations), "optim")).ToList();
            // the compressed moments: the device kernels against the CPU primitive (MomentCodec's twins) on the same
            // values, seed and steps; the same fp32 arithmetic in the same order, so the fp32 master bound holds
            foreach (var states in new[] { MomentFormat.Bf16, MomentFormat.Blockwise8Bit })
            {
                string tag = states == MomentFormat.Bf16 ? "bf16-states" : "8bit-states";
                var w2 = HostAdamW.Steps(weights, grads, lr, wd, states);
                var g2 = target.AdamWSteps(weights, grads, lr, wd, states);
                rows.AddRange(sizes.Select((n, i) => OpCheckRunner.Compare("adamw", $"{tag} {i}", g2[i], w2[i], Tolerances.Fp32MasterSteps.For(target.Activations), "optim")));
            }
            rows.Add(GradNorm(target, grads[0]));
            return rows;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new[] { new CheckRow("optim", "adamw", "step", double.NaN, double.NaN, 0, false, $"error: {e.Message.Split('\n')[0]}") };
        }
    }

    /// <summary>
    /// The squared global gradient norm (Ops.GradSquaredNorm, what clipping reads) of gradients in the target's dtype
    /// plus one kept in F32 (a norm weight's), against the CPU primitive on the same values; run twice, bit-equal.
    /// </summary>
    private static CheckRow GradNorm(ICheckTarget target, float[][] grads)
    {
        using var scope = new TensorScope();
        var values = grads.Select(target.EffectiveInputs).ToArray();
        var hosts = values.Select(v => Tensor.FromArray(v, v.Length)).ToArray();
        var placed = hosts.Select((h, i) => i == 1 ? target.Upload(h, DType.F32) : target.Upload(h)).ToArray();
        var want = Ops.GradSquaredNorm(hosts).ToArray();
        var got = target.Read(Ops.GradSquaredNorm(placed), fp32Path: true);
        var again = target.Read(Ops.GradSquaredNorm(placed), fp32Path: true);
        var row = OpCheckRunner.Compare("grad_norm", "sumsq", got, want, Tolerances.Fp32Result.For(target.Activations), "optim");
        return again.SequenceEqual(got) ? row : row with { Passed = false, Note = $"not deterministic: {got[0]:R} then {again[0]:R}" };
    }
}
