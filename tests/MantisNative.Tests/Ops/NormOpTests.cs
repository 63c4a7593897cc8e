using MantisNative.Autograd;
using MantisNative.Tensors;
using NUnit.Framework;
using static MantisNative.Tests.Ops.GradCheck;

namespace MantisNative.Tests.Ops;

public class NormOpTests
{
    [Test]
    public void RmsNormMatchesReference()
    {
        int rows = 4, dim = 9;
        var rng = new Rng(11);
        var x = RandomValues(rng, rows * dim);
        var w = RandomValues(rng, dim);
        Check(t => Autograd.Ops.RmsNorm(t[0], t[1], 1e-5f), d =>
        {
            var y = new double[rows * dim];
            for (int r = 0; r < rows; r++)
            {
                double ms = 0;
                for (int i = 0; i < dim; i++) ms += d[0][r * dim + i] * d[0][r * dim + i];
                double inv = 1 / Math.Sqrt(ms / dim + 1e-5);
                for (int i = 0; i < dim; i++) y[r * dim + i] = d[1][i] * d[0][r * dim + i] * inv;
            }
            return y;
        }, new[] { x, w }, new[] { new Shape(rows, dim), new Shape(dim) });
    }

    [Test]
    public void LayerNormMatchesReference()
    {
        int rows = 5, dim = 8;
        var rng = new Rng(12);
        var x = RandomValues(rng, rows * dim, 2);
        var w = RandomValues(rng, dim);
        var b = RandomValues(rng, dim);
        Check(t => Autograd.Ops.LayerNorm(t[0], t[1], t[2], 1e-6f), d =>
        {
            var y = new double[rows * dim];
            for (int r = 0; r < rows; r++)
            {
                double mu = 0, v = 0;
                for (int i = 0; i < dim; i++) mu += d[0][r * dim + i];
                mu /= dim;
                for (int i = 0; i < dim; i++) v += Math.Pow(d[0][r * dim + i] - mu, 2);
                double inv = 1 / Math.Sqrt(v / dim + 1e-6);
                for (int i = 0; i < dim; i++) y[r * dim + i] = (d[0][r * dim + i] - mu) * inv * d[1][i] + d[2][i];
            }
            return y;
        }, new[] { x, w, b }, new[] { new Shape(rows, dim), new Shape(dim), new Shape(dim) });
    }
}
