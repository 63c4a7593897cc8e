using MantisNative.Autograd;
using MantisNative.Backends;
using MantisNative.Backends.Cpu;
using MantisNative.Tensors;
using NUnit.Framework;
using static MantisNative.Tests.Ops.GradCheck;

namespace MantisNative.Tests.Ops;

public class ElementwiseOpTests
{
    [Test]
    public void AddBroadcastsOverLeadingDims()
    {
        var rng = new Rng(4);
        var a = RandomValues(rng, 2 * 3 * 4);
        var b = RandomValues(rng, 3 * 4);
        Check(t => Autograd.Ops.Add(t[0], t[1]), d => d[0].Select((v, i) => v + d[1][i % 12]).ToArray(),
            new[] { a, b }, new[] { new Shape(2, 3, 4), new Shape(3, 4) });
    }

    [Test]
    public void MulBroadcastsOverLeadingDims()
    {
        var rng = new Rng(5);
        var a = RandomValues(rng, 5 * 4);
        var b = RandomValues(rng, 4);
        Check(t => Autograd.Ops.Mul(t[0], t[1]), d => d[0].Select((v, i) => v * d[1][i % 4]).ToArray(),
            new[] { a, b }, new[] { new Shape(5, 4), new Shape(4) });
    }

    [Test]
    public void MulByScalarTensorAndSameShape()
    {
        var rng = new Rng(6);
        var a = RandomValues(rng, 7);
        var b = RandomValues(rng, 1);
        Check(t => Autograd.Ops.Mul(t[0], t[1]), d => d[0].Select(v => v * d[1][0]).ToArray(), new[] { a, b }, new[] { new Shape(7), new Shape(1) });
        var c = RandomValues(rng, 7);
        Check(t => Autograd.Ops.Mul(t[0], t[1]), d => d[0].Select((v, i) => v * d[1][i]).ToArray(), new[] { a, c }, new[] { new Shape(7), new Shape(7) });
    }

    [Test]
    public void ScaleSumAndMean()
    {
        var rng = new Rng(7);
        var a = RandomValues(rng, 3 * 5);
        Check(t => Autograd.Ops.Scale(t[0], -2.5f), d => d[0].Select(v => -2.5 * v).ToArray(), new[] { a }, new[] { new Shape(3, 5) });
        Check(t => Autograd.Ops.Sum(t[0]), d => new[] { d[0].Sum() }, new[] { a }, new[] { new Shape(3, 5) });
        Check(t => Autograd.Ops.Mean(t[0]), d => new[] { d[0].Average() }, new[] { a }, new[] { new Shape(3, 5) });
    }

    [Test]
    public void BroadcastMismatchIsAClearError()
    {
        using var a = Tensor.Zeros(2, 3);
        using var b = Tensor.Zeros(2);
        var e = Assert.Throws<ArgumentException>(() => Autograd.Ops.Add(a, b));
        Assert.That(e!.Message, Does.Contain("[2]").And.Contain("[2, 3]"));
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Test]
    public void SiluAndSwiGlu()
    {
        var rng = new Rng(8);
        var g = RandomValues(rng, 24, 2);
        var u = RandomValues(rng, 24);
        Check(t => Autograd.Ops.Silu(t[0]), d => d[0].Select(x => x * Sigmoid(x)).ToArray(), new[] { g }, new[] { new Shape(4, 6) });
        Check(t => Autograd.Ops.SwiGlu(t[0], t[1]), d => d[0].Select((x, i) => x * Sigmoid(x) * d[1][i]).ToArray(),
            new[] { g, u }, new[] { new Shape(4, 6), new Shape(4, 6) });
    }

    [TestCase(GeluKind.Erf)]
    [TestCase(GeluKind.Tanh)]
    [TestCase(GeluKind.Quick)]
    public void GeluVariants(GeluKind kind)
    {
        var rng = new Rng(9);
        var x = RandomValues(rng, 40, 2.5);
        Func<double, double> f = kind switch
        {
            GeluKind.Erf => v => 0.5 * v * (1 + Erf.Compute(v / Math.Sqrt(2))),
            GeluKind.Tanh => v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))),
            _ => v => v * Sigmoid(1.702 * v),
        };
        Check(t => Autograd.Ops.Gelu(t[0], kind), d => d[0].Select(f).ToArray(), new[] { x }, new[] { new Shape(40) });
    }

    [Test]
    public void ErfMatchesKnownValues()
    {
        // Values from standard tables (15+ significant digits).
        Assert.That(Erf.Compute(0.5), Is.EqualTo(0.5204998778130465).Within(1e-13));
        Assert.That(Erf.Compute(1.0), Is.EqualTo(0.8427007929497149).Within(1e-13));
        Assert.That(Erf.Compute(2.0), Is.EqualTo(0.9953222650189527).Within(1e-13));
        Assert.That(Erf.Compute(-2.9), Is.EqualTo(-0.9999589021219005).Within(1e-13));
        Assert.That(Erf.Compute(3.5), Is.EqualTo(0.9999992569016276).Within(1e-13));
        Assert.That(Erf.Compute(5.0), Is.EqualTo(0.9999999999984626).Within(1e-14));
    }

    [Test]
    public void SoftmaxLastDim()
    {
        var rng = new Rng(10);
        var x = RandomValues(rng, 3 * 7, 3);
        Check(t => Autograd.Ops.Softmax(t[0]), d =>
        {
            var y = new double[21];
            for (int r = 0; r < 3; r++)
            {
                double m = Enumerable.Range(0, 7).Max(j => d[0][r * 7 + j]);
                double s = Enumerable.Range(0, 7).Sum(j => Math.Exp(d[0][r * 7 + j] - m));
                for (int j = 0; j < 7; j++) y[r * 7 + j] = Math.Exp(d[0][r * 7 + j] - m) / s;
            }
            return y;
        }, new[] { x }, new[] { new Shape(3, 7) });
    }
}
