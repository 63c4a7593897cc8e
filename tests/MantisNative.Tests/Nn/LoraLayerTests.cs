using MantisNative.Nn.Lora;
using MantisNative.Tensors;
using MantisNative.Tests.Ops;
using NUnit.Framework;

namespace MantisNative.Tests.Nn;

/// <summary>
/// The LoRA / DoRA Linear on the tape against a double-precision reference written out here: forward within 1e-5
/// relative L2 and the gradients of x, A, B (and m) within 1e-4 of central finite differences (fp32 op vs double
/// math: <see cref="GradCheck"/>'s tolerances). W₀ is frozen and gets no gradient. DoRA's weight norm is a
/// constant in the reference's derivative, as PEFT detaches it.
/// </summary>
public class LoraLayerTests
{
    private const int Rows = 3, In = 6, Out = 5, R = 2;
    private const double Scale = 1.5;

    [TestCase(false, 0.0)]
    [TestCase(false, 0.4)]
    [TestCase(true, 0.0)]
    [TestCase(true, 0.4)]
    public void GradientsMatchFiniteDifferences(bool dora, double dropout)
    {
        var rng = new Rng(dora ? 5UL : 3UL);
        var x = GradCheck.RandomValues(rng, Rows * In);
        var w = GradCheck.RandomValues(rng, Out * In, 0.5);
        var a = GradCheck.RandomValues(rng, R * In, 0.5);
        var b = GradCheck.RandomValues(rng, Out * R, 0.5); // nonzero B, else A's gradient is 0
        var m = GradCheck.RandomValues(rng, Out, 0.3).Select(v => 1 + v).ToArray();
        var runtime = new LoraRuntime(99) { Training = dropout > 0, MicroStep = 7 };
        var mask = Mask(runtime, dropout);
        // the detached norm ‖W + s·B·A‖ at the evaluation point
        var norm = Norms(w.Select(v => (double)v).ToArray(), a.Select(v => (double)v).ToArray(), b.Select(v => (double)v).ToArray());

        var inputs = dora ? new[] { x, w, a, b, m } : new[] { x, w, a, b };
        var shapes = new[] { new Shape(Rows, In), new Shape(Out, In), new Shape(R, In), new Shape(Out, R), new Shape(Out) }[..inputs.Length];
        var differentiable = inputs.Select((_, i) => i != 1).ToArray();
        GradCheck.Check(t =>
        {
            // not disposed here: A, B and m are the check's own tensors, whose gradients it reads afterwards
            var layer = new LoraLayer("m", 4, t[2], t[3], dora ? t[4] : null, Scale, dropout, runtime);
            return layer.Forward(t[0], t[1], null);
        }, d => Reference(d, mask, norm, dora), inputs, shapes, differentiable);
    }

    [Test]
    public void DropoutMasksAreAFunctionOfSeedModuleAndMicroStep()
    {
        var rt = new LoraRuntime(1) { Training = true, MicroStep = 3 };
        var m1 = Mask(rt, 0.5, 4000);
        var again = Mask(rt, 0.5, 4000);
        Assert.That(again, Is.EqualTo(m1), "the same key gives the same mask (a checkpointed block's recompute)");
        rt.MicroStep = 4;
        Assert.That(Mask(rt, 0.5, 4000), Is.Not.EqualTo(m1), "another micro-step, another mask");
        Assert.That(m1.All(v => v == 0 || v == 2), "kept elements scaled by 1/(1-p)");
        double kept = m1.Count(v => v != 0) / (double)m1.Length;
        Assert.That(kept, Is.EqualTo(0.5).Within(0.05), "about 1-p kept (4000 draws: 5 % is > 6 sigma)");
        rt.Training = false;
        using var x = Tensor.Full(new Shape(10), 1f);
        Assert.That(ReferenceEquals(rt.Dropout(x, 0.5, 0), x), "no dropout outside training");
    }

    private static float[] Mask(LoraRuntime rt, double p, int n = Rows * In)
    {
        if (!rt.Training || p == 0) return Enumerable.Repeat(1f, n).ToArray();
        using var ones = Tensor.Full(new Shape(n), 1f);
        return rt.Dropout(ones, p, 4).ToArray();
    }

    private static double[] Norms(double[] w, double[] a, double[] b)
    {
        var n = new double[Out];
        for (int o = 0; o < Out; o++)
        {
            double s2 = 0;
            for (int i = 0; i < In; i++)
            {
                double v = w[o * In + i];
                for (int k = 0; k < R; k++) v += Scale * b[o * R + k] * a[k * In + i];
                s2 += v * v;
            }
            n[o] = Math.Sqrt(s2);
        }
        return n;
    }

    // PEFT's forward in double: LoRA y = xWᵀ + s·(xd Aᵀ)Bᵀ; DoRA y = xWᵀ + (g-1)⊙(xd Wᵀ) + g⊙s·(xd Aᵀ)Bᵀ, g = m / norm
    private static double[] Reference(double[][] d, float[] mask, double[] norm, bool dora)
    {
        double[] x = d[0], w = d[1], a = d[2], b = d[3];
        var y = new double[Rows * Out];
        for (int r = 0; r < Rows; r++)
        {
            var xd = new double[In];
            for (int i = 0; i < In; i++) xd[i] = x[r * In + i] * mask[r * In + i];
            var ax = new double[R];
            for (int k = 0; k < R; k++) for (int i = 0; i < In; i++) ax[k] += a[k * In + i] * xd[i];
            for (int o = 0; o < Out; o++)
            {
                double xw = 0, xdw = 0, lora = 0;
                for (int i = 0; i < In; i++) { xw += x[r * In + i] * w[o * In + i]; xdw += xd[i] * w[o * In + i]; }
                for (int k = 0; k < R; k++) lora += b[o * R + k] * ax[k];
                if (!dora) { y[r * Out + o] = xw + Scale * lora; continue; }
                double g = d[4][o] / norm[o];
                y[r * Out + o] = xw + (g - 1) * xdw + g * Scale * lora;
            }
        }
        return y;
    }
}
