namespace MantisNative.Diagnostics;

/// <summary>Three AdamW steps with weight decay on the target against the CPU AdamW: fp32 master weights (<see cref="Tolerances.Fp32MasterSteps"/>).</summary>
internal static class OptimizerCheck
{
    public static IReadOnlyList<CheckRow> Run(ICheckTarget target, Random rng)
    {
        int[] sizes = { 1000, 37, 4096 };
        float[] R(int n, float scale) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
        var weights = sizes.Select(n => R(n, 1f)).ToArray();
        var grads = Enumerable.Range(0, 3).Select(_ => sizes.Select(n => R(n, 0.1f)).ToArray()).ToArray();
        const double lr = 1e-2, wd = 0.1;
        try
        {
            var want = HostAdamW.Steps(weights, grads, lr, wd);
            var got = target.AdamWSteps(weights, grads, lr, wd);
            return sizes.Select((n, i) => OpCheckRunner.Compare("adamw", $"master {i}", got[i], want[i], Tolerances.Fp32MasterSteps.For(target.Activations), "optim")).ToList();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new[] { new CheckRow("optim", "adamw", "step", double.NaN, double.NaN, 0, false, $"error: {e.Message.Split('\n')[0]}") };
        }
    }
}
