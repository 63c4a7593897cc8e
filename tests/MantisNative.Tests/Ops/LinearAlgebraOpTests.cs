using MantisNative.Autograd;
using MantisNative.Tensors;
using NUnit.Framework;
using static MantisNative.Tests.Ops.GradCheck;

namespace MantisNative.Tests.Ops;

public class LinearAlgebraOpTests
{
    private static double[] RefMatMul(double[] a, double[] b, int batch, int m, int n, int k, bool ta, bool tb, bool sharedB)
    {
        var c = new double[batch * m * n];
        for (int z = 0; z < batch; z++)
        {
            int oa = z * m * k, ob = sharedB ? 0 : z * k * n;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++)
                        s += (ta ? a[oa + p * m + i] : a[oa + i * k + p]) * (tb ? b[ob + j * k + p] : b[ob + p * n + j]);
                    c[z * m * n + i * n + j] = s;
                }
        }
        return c;
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public void BatchedMatMulMatchesReference(bool ta, bool tb)
    {
        int batch = 2, m = 5, n = 4, k = 3;
        var rng = new Rng(1);
        var a = RandomValues(rng, batch * m * k);
        var b = RandomValues(rng, batch * k * n);
        var sa = ta ? new Shape(batch, k, m) : new Shape(batch, m, k);
        var sb = tb ? new Shape(batch, n, k) : new Shape(batch, k, n);
        Check(t => Autograd.Ops.MatMul(t[0], t[1], ta, tb), d => RefMatMul(d[0], d[1], batch, m, n, k, ta, tb, false),
            new[] { a, b }, new[] { sa, sb });
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public void MatMulWithSharedRightOperand(bool ta, bool tb)
    {
        int batch = 3, m = 2, n = 5, k = 4;
        var rng = new Rng(2);
        var a = RandomValues(rng, batch * m * k);
        var b = RandomValues(rng, k * n);
        var sa = ta ? new Shape(batch, k, m) : new Shape(batch, m, k);
        var sb = tb ? new Shape(n, k) : new Shape(k, n);
        Check(t => Autograd.Ops.MatMul(t[0], t[1], ta, tb), d => RefMatMul(d[0], d[1], batch, m, n, k, ta, tb, true),
            new[] { a, b }, new[] { sa, sb });
    }

    [Test]
    public void LinearWithBias()
    {
        int rows = 6, inF = 5, outF = 3;
        var rng = new Rng(3);
        var x = RandomValues(rng, rows * inF);
        var w = RandomValues(rng, outF * inF);
        var b = RandomValues(rng, outF);
        Check(t => Autograd.Ops.Linear(t[0], t[1], t[2]), d =>
        {
            var y = new double[rows * outF];
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < outF; o++)
                {
                    double s = d[2][o];
                    for (int i = 0; i < inF; i++) s += d[0][r * inF + i] * d[1][o * inF + i];
                    y[r * outF + o] = s;
                }
            return y;
        }, new[] { x, w, b }, new[] { new Shape(2, 3, inF), new Shape(outF, inF), new Shape(outF) });
    }
}
