using MantisNative.Autograd;
using MantisNative.Diagnostics;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.Ops;

/// <summary>
/// Every op of the check registry (Diagnostics.OpCases, the table gpu-check and any later device run) gets a CPU
/// gradient check from the same table: for a random output weighting r and a random input direction u, the backward's
/// &lt;dL/dx, u&gt; must equal the central difference (L(x + h u) - L(x - h u)) / 2h of L = sum(r * op(x)), computed in
/// double from the fp32 outputs. So an op added to the registry is gradient-checked without a hand-written test.
/// </summary>
public class OpRegistryGradientTests
{
    // h = 1e-2 on inputs of scale ~1: the truncation error (h^2 f''' / 6) and the fp32 rounding of L divided by 2h
    // (~1e-7 |L| / 2e-2 = 5e-6 |L|) are both far below 1e-2; a wrong backward is off by O(1).
    private const double H = 1e-2, Tolerance = 1e-2;

    private static IEnumerable<TestCaseData> Cases() =>
        OpCases.Create(new Random(5), large: false).Where(c => c.Backward).Select(c => new TestCaseData(c.Name).SetName($"GradientOf({c.Name})"));

    [TestCaseSource(nameof(Cases))]
    public void BackwardMatchesTheCentralDifference(string name)
    {
        var c = OpCases.Create(new Random(5), large: false).Single(x => x.Name == name);
        var rng = new Random(11);
        double N() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var values = c.Inputs.Select(i => Enumerable.Range(0, i.Shape.Aggregate(1, (a, d) => a * d))
            .Select(_ => (float)(i.Offset + i.Scale * N())).ToArray()).ToArray();

        using var scope = new TensorScope();
        var inputs = values.Select((v, i) => { var t = Tensor.FromArray(v, c.Inputs[i].Shape); t.RequiresGrad = c.Inputs[i].Grad; return t; }).ToArray();
        var y = c.Run(inputs);
        var r = Enumerable.Range(0, (int)y.Numel).Select(_ => (float)N()).ToArray();
        var yValues = y.ToArray();
        double Loss(float[] ys) { double s = 0; for (int i = 0; i < ys.Length; i++) s += (double)r[i] * ys[i]; return s; }
        Assert.That(double.IsFinite(Loss(yValues)), $"{name}: forward is finite");
        Tape.Backward(y, Tensor.FromArray(r, y.Shape.ToArray()));

        int checkedInputs = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!c.Inputs[i].Grad) continue;
            var grad = inputs[i].Grad?.ToArray() ?? throw new AssertionException($"{name}: input {i} got no gradient");
            var u = values[i].Select(_ => (float)N()).ToArray();
            double analytic = 0;
            for (int j = 0; j < u.Length; j++) analytic += (double)grad[j] * u[j];
            double At(double sign)
            {
                using var noGrad = Tape.NoGrad();
                var shifted = inputs.Select((t, k) => k == i
                    ? Tensor.FromArray(values[k].Select((x, j) => (float)(x + sign * H * u[j])).ToArray(), c.Inputs[k].Shape)
                    : Tensor.FromArray(values[k], c.Inputs[k].Shape)).ToArray();
                return Loss(c.Run(shifted).ToArray());
            }
            double numeric = (At(+1) - At(-1)) / (2 * H);
            double scale = Math.Max(Math.Max(Math.Abs(analytic), Math.Abs(numeric)), 1e-3);
            Assert.That(Math.Abs(analytic - numeric) / scale, Is.LessThan(Tolerance),
                $"{name}: input {i}: backward gives {analytic:G6}, central difference {numeric:G6}");
            checkedInputs++;
        }
        Assert.That(checkedInputs, Is.GreaterThan(0), $"{name}: no input takes a gradient");
    }
}
