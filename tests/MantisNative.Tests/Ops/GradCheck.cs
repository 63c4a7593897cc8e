using MantisNative.Autograd;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.Ops;

/// <summary>
/// Checks an op against a double-precision reference: forward within a relative L2 error (||ours - ref|| / ||ref||),
/// and every input's gradient against central finite differences of the reference (exact enough in double
/// with h = 1e-5 that the fp32 op's own rounding dominates).
/// </summary>
public static class GradCheck
{
    public const double ForwardTol = 1e-5;   // fp32 forward vs double: a few ulps of accumulated rounding
    public const double BackwardTol = 1e-4;  // fp32 gradients vs double finite differences

    public static double RelL2(ReadOnlySpan<float> ours, ReadOnlySpan<double> reference)
    {
        double num = 0, den = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double d = ours[i] - reference[i];
            num += d * d;
            den += reference[i] * reference[i];
        }
        return Math.Sqrt(num) / Math.Max(Math.Sqrt(den), 1e-30);
    }

    public static float[] RandomValues(Rng rng, long n, double scale = 1.0)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(rng.NextNormal() * scale);
        return v;
    }

    /// <param name="op">our op over the input tensors</param>
    /// <param name="reference">the same math in double over the flattened inputs</param>
    /// <param name="inputs">input values (each becomes a tensor of the matching shape)</param>
    /// <param name="shapes">input shapes</param>
    /// <param name="differentiable">which inputs get a gradient check (null: all)</param>
    public static void Check(Func<Tensor[], Tensor> op, Func<double[][], double[]> reference, float[][] inputs, Shape[] shapes,
        bool[]? differentiable = null, int seed = 7, double forwardTol = ForwardTol, double backwardTol = BackwardTol)
    {
        differentiable ??= inputs.Select(_ => true).ToArray();
        var tensors = inputs.Select((v, i) => { var t = Tensor.FromSpan(v, shapes[i]); t.RequiresGrad = differentiable[i]; return t; }).ToArray();
        var dInputs = inputs.Select(v => v.Select(f => (double)f).ToArray()).ToArray();

        var y = op(tensors);
        var yRef = reference(dInputs);
        Assert.That(y.Numel, Is.EqualTo(yRef.Length), "output size");
        double fwd = RelL2(y.Span, yRef);
        TestContext.Out.WriteLine($"forward rel L2 = {fwd:E2}");
        Assert.That(fwd, Is.LessThanOrEqualTo(forwardTol), "forward vs double reference");

        var rng = new Rng((ulong)seed);
        var w = RandomValues(rng, y.Numel);
        using var wT = Tensor.FromSpan(w, y.Shape);
        Tape.Backward(y, wT);

        for (int i = 0; i < inputs.Length; i++)
        {
            if (!differentiable[i]) continue;
            var fd = new double[inputs[i].Length];
            for (int j = 0; j < fd.Length; j++)
            {
                double x0 = dInputs[i][j];
                double h = 1e-5 * Math.Max(1.0, Math.Abs(x0));
                dInputs[i][j] = x0 + h;
                double lp = Dot(reference(dInputs), w);
                dInputs[i][j] = x0 - h;
                double lm = Dot(reference(dInputs), w);
                dInputs[i][j] = x0;
                fd[j] = (lp - lm) / (2 * h);
            }
            Assert.That(tensors[i].Grad, Is.Not.Null, $"input {i} got no gradient");
            double bwd = RelL2(tensors[i].Grad!.Span, fd);
            TestContext.Out.WriteLine($"grad[{i}] rel L2 = {bwd:E2}");
            Assert.That(bwd, Is.LessThanOrEqualTo(backwardTol), $"gradient of input {i} vs finite differences");
        }
        foreach (var t in tensors) t.Dispose();
    }

    private static double Dot(double[] a, float[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
