using MantisNative.Autograd;
using MantisNative.Backends.Cpu;
using MantisNative.Tensors;
using NUnit.Framework;
using static MantisNative.Tests.Ops.GradCheck;

namespace MantisNative.Tests.Ops;

/// <summary>
/// Token-major attention (q [B, T, H, D], k/v [B, S, Hkv, D], the projections' own layout) against the head-major
/// op on the same values: the CPU runs the same block loops with a wider row stride, so output and every gradient
/// must agree bit for bit (not merely within ulps).
/// </summary>
public class AttentionLayoutTests
{
    /// <summary>[B, A, C, D] values with the middle two axes swapped ([B, C, A, D]).</summary>
    private static float[] SwapMiddle(float[] x, int b, int a, int c, int d)
    {
        var y = new float[x.Length];
        for (int i = 0; i < b; i++)
            for (int j = 0; j < a; j++)
                for (int l = 0; l < c; l++)
                    Array.Copy(x, (((long)i * a + j) * c + l) * d, y, (((long)i * c + l) * a + j) * d, d);
        return y;
    }

    private static (float[] O, float[] Dq, float[] Dk, float[] Dv, int Recorded) Run(AttentionLayout layout, float[] q, float[] k, float[] v, float[] seed,
        int B, int H, int Hkv, int T, int S, int D, bool causal, bool[]? valid)
    {
        bool tm = layout == AttentionLayout.TokenMajor;
        Shape QShape() => tm ? new Shape(B, T, H, D) : new Shape(B, H, T, D);
        Shape KShape() => tm ? new Shape(B, S, Hkv, D) : new Shape(B, Hkv, S, D);
        using var qt = Tensor.FromSpan(tm ? SwapMiddle(q, B, H, T, D) : q, QShape());
        using var kt = Tensor.FromSpan(tm ? SwapMiddle(k, B, Hkv, S, D) : k, KShape());
        using var vt = Tensor.FromSpan(tm ? SwapMiddle(v, B, Hkv, S, D) : v, KShape());
        qt.RequiresGrad = kt.RequiresGrad = vt.RequiresGrad = true;
        int before = Tape.Current.Count;
        using var o = Autograd.Ops.Attention(qt, kt, vt, causal, valid, layout: layout);
        int recorded = Tape.Current.Count - before;
        Assert.That(o.Shape, Is.EqualTo(QShape()), "the output takes q's layout");
        using var g = Tensor.FromSpan(tm ? SwapMiddle(seed, B, H, T, D) : seed, QShape());
        Tape.Backward(o, g);
        float[] Back(Tensor x, int a, int c) => tm ? SwapMiddle(x.Grad!.ToArray(), B, c, a, D) : x.Grad!.ToArray();
        var r = (tm ? SwapMiddle(o.ToArray(), B, T, H, D) : o.ToArray(), Back(qt, H, T), Back(kt, Hkv, S), Back(vt, Hkv, S), recorded);
        return r;
    }

    [NonParallelizable]
    [TestCase(true, true, 4, 2, 5, 5, 8, 64, 256)]     // causal, grouped-query, padding
    [TestCase(false, false, 2, 2, 4, 6, 16, 64, 256)]  // bidirectional, cross lengths
    [TestCase(true, true, 2, 2, 3, 7, 8, 64, 256)]     // the last T of S (a decode step) + padding
    [TestCase(true, true, 4, 1, 9, 11, 24, 3, 4)]      // GQA 4:1, head dim 24, many query and key blocks (online-softmax merges)
    [TestCase(false, true, 3, 1, 70, 70, 8, 64, 256)]  // more queries than one 64-query block
    public void TokenMajorEqualsHeadMajorBitwise(bool causal, bool padded, int H, int Hkv, int T, int S, int D, int qBlock, int kBlock)
    {
        int B = 2;
        var rng = new Rng(29);
        var q = RandomValues(rng, B * H * T * D);
        var k = RandomValues(rng, B * Hkv * S * D);
        var v = RandomValues(rng, B * Hkv * S * D);
        var seed = RandomValues(rng, B * H * T * D);
        bool[]? valid = null;
        if (padded)
        {
            valid = new bool[B * S];
            for (int b = 0; b < B; b++)
                for (int j = 0; j < S; j++) valid[b * S + j] = b == 0 ? j >= 1 : j < S - 2;
        }
        int savedQ = Attention.QueryBlock, savedK = Attention.KeyBlock;
        Attention.QueryBlock = qBlock;
        Attention.KeyBlock = kBlock;
        try
        {
            var hm = Run(AttentionLayout.HeadMajor, q, k, v, seed, B, H, Hkv, T, S, D, causal, valid);
            var tm = Run(AttentionLayout.TokenMajor, q, k, v, seed, B, H, Hkv, T, S, D, causal, valid);
            Assert.That(tm.Recorded, Is.EqualTo(1), "forward and backward recorded on the tape once");
            Assert.That(tm.O, Is.EqualTo(hm.O), "output");
            Assert.That(tm.Dq, Is.EqualTo(hm.Dq), "dq");
            Assert.That(tm.Dk, Is.EqualTo(hm.Dk), "dk");
            Assert.That(tm.Dv, Is.EqualTo(hm.Dv), "dv");
            Assert.That(hm.Dq.Any(x => x != 0) && hm.Dk.Any(x => x != 0) && hm.Dv.Any(x => x != 0), "the gradients are not all zero");
        }
        finally { Attention.QueryBlock = savedQ; Attention.KeyBlock = savedK; }
    }

    [Test]
    public void TokenMajorShapesAreChecked()
    {
        using var q = Tensor.Zeros(new Shape(1, 5, 4, 8));
        using var k = Tensor.Zeros(new Shape(1, 5, 3, 8));   // 4 query heads over 3 kv heads: not a group
        var e = Assert.Throws<ArgumentException>(() => Autograd.Ops.Attention(q, k, k, causal: true, (Tensor?)null, layout: AttentionLayout.TokenMajor));
        Assert.That(e!.Message, Does.Contain("TokenMajor"));
    }
}
