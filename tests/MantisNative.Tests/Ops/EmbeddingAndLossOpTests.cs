using MantisNative.Autograd;
using MantisNative.Tensors;
using NUnit.Framework;
using static MantisNative.Tests.Ops.GradCheck;

namespace MantisNative.Tests.Ops;

public class EmbeddingAndLossOpTests
{
    [Test]
    public void EmbeddingGathersRowsAndScattersGradients()
    {
        var rng = new Rng(15);
        var w = RandomValues(rng, 6 * 4);
        var ids = new[] { 2, 0, 2, 5 };
        Check(t => Autograd.Ops.Embedding(t[0], ids), d => ids.SelectMany(id => d[0].Skip(id * 4).Take(4)).ToArray(),
            new[] { w }, new[] { new Shape(6, 4) });
    }

    [Test]
    public void EmbeddingRejectsOutOfRangeIds()
    {
        using var w = Tensor.Zeros(3, 2);
        var e = Assert.Throws<MantisException>(() => Autograd.Ops.Embedding(w, new[] { 3 }));
        Assert.That(e!.Message, Does.Contain("3").And.Contain("rows"));
    }

    [Test]
    public void PatchEmbedIsAStridedConvolution()
    {
        int n = 2, c = 3, h = 4, wd = 6, p = 2, dOut = 5;
        var rng = new Rng(16);
        var px = RandomValues(rng, n * c * h * wd);
        var w = RandomValues(rng, dOut * c * p * p);
        var b = RandomValues(rng, dOut);
        int gh = h / p, gw = wd / p;
        Check(t => Autograd.Ops.PatchEmbed(t[0], t[1], t[2]), d =>
        {
            var y = new double[n * gh * gw * dOut];
            for (int i = 0; i < n; i++)
                for (int py = 0; py < gh; py++)
                    for (int pxx = 0; pxx < gw; pxx++)
                        for (int o = 0; o < dOut; o++)
                        {
                            double s = d[2][o];
                            for (int ch = 0; ch < c; ch++)
                                for (int ky = 0; ky < p; ky++)
                                    for (int kx = 0; kx < p; kx++)
                                        s += d[0][((i * c + ch) * h + py * p + ky) * wd + pxx * p + kx] * d[1][((o * c + ch) * p + ky) * p + kx];
                            y[((i * gh + py) * gw + pxx) * dOut + o] = s;
                        }
            return y;
        }, new[] { px, w, b }, new[] { new Shape(n, c, h, wd), new Shape(dOut, c, p, p), new Shape(dOut) });
    }

    [Test]
    public void CrossEntropyIgnoresMinus100AndAveragesCountedRows()
    {
        int rows = 5, vocab = 7;
        var rng = new Rng(17);
        var logits = RandomValues(rng, rows * vocab, 2);
        var targets = new[] { 3, -100, 0, 6, -100 };
        Check(t => Autograd.Ops.CrossEntropy(t[0], targets), d =>
        {
            double sum = 0; int count = 0;
            for (int r = 0; r < rows; r++)
            {
                if (targets[r] == -100) continue;
                double m = Enumerable.Range(0, vocab).Max(j => d[0][r * vocab + j]);
                double lse = m + Math.Log(Enumerable.Range(0, vocab).Sum(j => Math.Exp(d[0][r * vocab + j] - m)));
                sum += lse - d[0][r * vocab + targets[r]];
                count++;
            }
            return new[] { sum / count };
        }, new[] { logits }, new[] { new Shape(rows, vocab) });
    }

    [Test]
    public void CrossEntropyWithNoCountedTokenIsZeroWithoutGradient()
    {
        using var logits = Tensor.Zeros(2, 3);
        logits.RequiresGrad = true;
        using var loss = Autograd.Ops.CrossEntropy(logits, new[] { -100, -100 });
        Assert.That(loss.Item(), Is.EqualTo(0f));
        Assert.That(loss.RequiresGrad, Is.False);
    }
}
