using MantisNative.Autograd;
using MantisNative.Tensors;
using NUnit.Framework;
using static MantisNative.Tests.Ops.GradCheck;

namespace MantisNative.Tests.Ops;

public class ShapeOpTests
{
    private static double[] RefPermute(double[] x, int[] dims, int[] perm)
    {
        int rank = dims.Length;
        var outDims = perm.Select(p => dims[p]).ToArray();
        var y = new double[x.Length];
        var idx = new int[rank];
        for (int o = 0; o < y.Length; o++)
        {
            int rem = o;
            for (int k = rank - 1; k >= 0; k--) { idx[k] = rem % outDims[k]; rem /= outDims[k]; }
            int src = 0;
            var srcIdx = new int[rank];
            for (int k = 0; k < rank; k++) srcIdx[perm[k]] = idx[k];
            for (int k = 0; k < rank; k++) src = src * dims[k] + srcIdx[k];
            y[o] = x[src];
        }
        return y;
    }

    [TestCase(new[] { 0, 2, 1, 3 })]
    [TestCase(new[] { 3, 1, 0, 2 })]
    [TestCase(new[] { 1, 0, 3, 2 })]
    public void PermuteCopies(int[] perm)
    {
        var dims = new[] { 2, 3, 4, 5 };
        var rng = new Rng(18);
        var x = RandomValues(rng, 120);
        Check(t => Autograd.Ops.Permute(t[0], perm), d => RefPermute(d[0], dims, perm), new[] { x }, new[] { new Shape(dims) });
    }

    [Test]
    public void TransposeSwapsTwoDims()
    {
        var rng = new Rng(19);
        var x = RandomValues(rng, 24);
        Check(t => Autograd.Ops.Transpose(t[0], 1, 2), d => RefPermute(d[0], new[] { 2, 3, 4 }, new[] { 0, 2, 1 }), new[] { x }, new[] { new Shape(2, 3, 4) });
    }

    [Test]
    public void ReshapeSharesDataAndPassesGradient()
    {
        var rng = new Rng(20);
        var x = RandomValues(rng, 24);
        Check(t => Autograd.Ops.Reshape(t[0], 4, -1), d => d[0], new[] { x }, new[] { new Shape(2, 3, 4) });
    }

    [Test]
    public void SliceAlongMiddleDim()
    {
        var rng = new Rng(21);
        var x = RandomValues(rng, 2 * 5 * 3);
        Check(t => Autograd.Ops.Slice(t[0], 1, 1, 3), d =>
        {
            var y = new List<double>();
            for (int a = 0; a < 2; a++)
                for (int b = 1; b < 4; b++)
                    for (int c = 0; c < 3; c++) y.Add(d[0][(a * 5 + b) * 3 + c]);
            return y.ToArray();
        }, new[] { x }, new[] { new Shape(2, 5, 3) });
    }

    [Test]
    public void ConcatAlongDim1()
    {
        var rng = new Rng(22);
        var a = RandomValues(rng, 2 * 2 * 3);
        var b = RandomValues(rng, 2 * 1 * 3);
        Check(t => Autograd.Ops.Concat(new[] { t[0], t[1] }, 1), d =>
        {
            var y = new List<double>();
            for (int i = 0; i < 2; i++)
            {
                y.AddRange(d[0].Skip(i * 6).Take(6));
                y.AddRange(d[1].Skip(i * 3).Take(3));
            }
            return y.ToArray();
        }, new[] { a, b }, new[] { new Shape(2, 2, 3), new Shape(2, 1, 3) });
    }

    [Test]
    public void IndexSelectWithRepeats()
    {
        var rng = new Rng(23);
        var x = RandomValues(rng, 4 * 3);
        var idx = new[] { 3, 1, 1, 0, 3 };
        Check(t => Autograd.Ops.IndexSelect(t[0], idx), d => idx.SelectMany(i => d[0].Skip(i * 3).Take(3)).ToArray(),
            new[] { x }, new[] { new Shape(4, 3) });
    }
}
