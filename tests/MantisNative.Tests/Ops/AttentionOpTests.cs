using MantisNative.Autograd;
using MantisNative.Backends.Cpu;
using MantisNative.Tensors;
using NUnit.Framework;
using MantisNative.Tests.Cpu;
using static MantisNative.Tests.Ops.GradCheck;

namespace MantisNative.Tests.Ops;

/// <summary>Runs once per CPU kernel family (attention's score and value products go through the GEMM micro-kernels).</summary>
[TestFixtureSource(typeof(CpuIsaCases), nameof(CpuIsaCases.Supported))]
public class AttentionOpTests(CpuIsa isa) : ForcedIsaFixture(isa)
{
    /// <summary>Naive softmax(QK^T * scale + mask) V in double.</summary>
    private static double[] Naive(double[] q, double[] k, double[] v, int B, int H, int Hkv, int T, int S, int D, bool causal, bool[]? valid)
    {
        var o = new double[B * H * T * D];
        double scale = 1 / Math.Sqrt(D);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < H; h++)
            {
                int hk = h / (H / Hkv);
                for (int i = 0; i < T; i++)
                {
                    var s = new double[S];
                    double m = double.NegativeInfinity;
                    for (int j = 0; j < S; j++)
                    {
                        bool ok = (!causal || j <= i + S - T) && (valid is null || valid[b * S + j]);
                        if (!ok) { s[j] = double.NegativeInfinity; continue; }
                        double dot = 0;
                        for (int d = 0; d < D; d++) dot += q[((b * H + h) * T + i) * D + d] * k[((b * Hkv + hk) * S + j) * D + d];
                        s[j] = dot * scale;
                        m = Math.Max(m, s[j]);
                    }
                    if (double.IsNegativeInfinity(m)) continue;
                    double z = s.Where(x => !double.IsNegativeInfinity(x)).Sum(x => Math.Exp(x - m));
                    for (int j = 0; j < S; j++)
                    {
                        if (double.IsNegativeInfinity(s[j])) continue;
                        double p = Math.Exp(s[j] - m) / z;
                        for (int d = 0; d < D; d++) o[((b * H + h) * T + i) * D + d] += p * v[((b * Hkv + hk) * S + j) * D + d];
                    }
                }
            }
        return o;
    }

    [TestCase(true, false, 4, 2, 5, 5)]    // causal, grouped-query
    [TestCase(false, false, 2, 2, 4, 6)]   // bidirectional, cross lengths
    [TestCase(true, true, 4, 1, 6, 6)]     // causal + GQA (4:1) + padding
    [TestCase(true, true, 2, 2, 3, 7)]     // queries are the last T of S (KV-cache decode step) + padding
    [TestCase(false, true, 3, 1, 70, 70)]  // more queries than one 64-query block (keys come 256 to a block), bidirectional + padding
    public void AttentionMatchesNaive(bool causal, bool padded, int H, int Hkv, int T, int S)
    {
        int B = 2, D = 8;
        var rng = new Rng(13);
        var q = RandomValues(rng, B * H * T * D);
        var k = RandomValues(rng, B * Hkv * S * D);
        var v = RandomValues(rng, B * Hkv * S * D);
        bool[]? valid = null;
        if (padded)
        {
            valid = new bool[B * S];
            for (int b = 0; b < B; b++)
                for (int j = 0; j < S; j++) valid[b * S + j] = b == 0 ? j >= 1 : j < S - 2; // left pad row 0, right pad row 1
        }
        bool bigCase = T * S > 1000; // finite differences over every element are slow for the big case: check forward only
        Check(t => Autograd.Ops.Attention(t[0], t[1], t[2], causal, valid),
            d => Naive(d[0], d[1], d[2], B, H, Hkv, T, S, D, causal, valid),
            new[] { q, k, v }, new[] { new Shape(B, H, T, D), new Shape(B, Hkv, S, D), new Shape(B, Hkv, S, D) },
            differentiable: bigCase ? new[] { false, false, false } : null);
    }

    /// <summary>Tiny blocks, so that several query and key blocks (the online-softmax merge) are exercised with gradients.</summary>
    [NonParallelizable]
    [TestCase(true, true)]
    [TestCase(false, true)]
    public void AttentionAcrossManySmallBlocks(bool causal, bool padded)
    {
        int savedQ = Attention.QueryBlock, savedK = Attention.KeyBlock;
        Attention.QueryBlock = 3;
        Attention.KeyBlock = 4;
        try { AttentionMatchesNaive(causal, padded, 4, 2, 9, 11); }
        finally { Attention.QueryBlock = savedQ; Attention.KeyBlock = savedK; }
    }

    [Test]
    public void RopeMatchesReferenceWithLlama3Scaling()
    {
        int tokens = 5, heads = 2, dim = 8;
        var inv = RopeTables.ApplyLlama3Scaling(RopeTables.InverseFrequencies(dim, 500000), 8, 1, 4, 16);
        var positions = new[] { 0, 3, 7, 100, 2000 };
        var (cos, sin) = RopeTables.Tables(inv, positions);
        var rng = new Rng(14);
        var x = RandomValues(rng, tokens * heads * dim);
        Check(t => Autograd.Ops.Rope(t[0], cos, sin), d =>
        {
            var y = new double[x.Length];
            int half = dim / 2;
            for (int t = 0; t < tokens; t++)
                for (int h = 0; h < heads; h++)
                    for (int i = 0; i < dim; i++)
                    {
                        double angle = (float)(inv[i % half] * (float)positions[t]); // float32 angle, as transformers computes it
                        double xi = d[0][(t * heads + h) * dim + i];
                        double rot = i < half ? -d[0][(t * heads + h) * dim + i + half] : d[0][(t * heads + h) * dim + i - half];
                        y[(t * heads + h) * dim + i] = xi * Math.Cos(angle) + rot * Math.Sin(angle);
                    }
            return y;
        }, new[] { x }, new[] { new Shape(tokens, heads, dim) });
    }

    /// <summary>The decoder's tables by position (made once, a row per position, shared by the batch) give the same bits
    /// forward and backward as per-token tables of the positions 0..T-1 in every row: the device step reads them instead
    /// of computing and uploading per-token tables (exact: the same table values, the same arithmetic).</summary>
    [Test]
    public void RopeByPositionEqualsPerTokenTablesBitForBit()
    {
        int batch = 3, seq = 7, heads = 2, dim = 8;
        var inv = RopeTables.InverseFrequencies(dim, 10000);
        var positions = Enumerable.Range(0, batch * seq).Select(i => i % seq).ToArray();
        Assert.That(RopePositionTables.AreSequenceIndices(positions, seq), Is.True);
        Assert.That(RopePositionTables.AreSequenceIndices(new[] { 0, 1, 2, 0, 1, 3 }, 3), Is.False);
        using var byPosition = new RopePositionTables(inv);
        var (bc, bs) = byPosition.For(seq, Device.Cpu);
        Assert.That(byPosition.Rows, Is.EqualTo(RopePositionTables.MinRows), "at least MinRows, so short batches share one table");
        var (cos, sin) = RopeTables.Tables(inv, positions);
        var rng = new Rng(15);
        var xv = RandomValues(rng, batch * seq * heads * dim);
        var gv = RandomValues(rng, xv.Length);
        float[] Run(Func<Tensor, Tensor> rope, out float[] grad)
        {
            var x = Tensor.FromArray(xv, batch, seq, heads, dim);
            x.RequiresGrad = true;
            var y = rope(x);
            var out_ = y.ToArray();
            Tape.Backward(y, Tensor.FromArray(gv, batch, seq, heads, dim));
            grad = x.Grad!.ToArray();
            return out_;
        }
        var want = Run(x => Autograd.Ops.Rope(x, cos, sin), out var wantGrad);
        var got = Run(x => Autograd.Ops.RopeByPosition(x, bc, bs), out var gotGrad);
        Assert.That(got, Is.EqualTo(want), "forward");
        Assert.That(gotGrad, Is.EqualTo(wantGrad), "backward");
        Assert.That(() => Autograd.Ops.RopeByPosition(Tensor.Zeros(new Shape(1, 300, heads, dim)), bc, bs), Throws.ArgumentException, "fewer rows than positions");
    }

    [Test]
    public void Llama3ScalingKeepsHighFrequenciesAndDividesLowOnes()
    {
        var inv = RopeTables.InverseFrequencies(128, 500000);
        var scaled = RopeTables.ApplyLlama3Scaling(inv, 8, 1, 4, 8192);
        Assert.That(scaled[0], Is.EqualTo(inv[0]), "short wavelengths unchanged");
        Assert.That(scaled[^1], Is.EqualTo(inv[^1] / 8f).Within(1e-12), "long wavelengths divided by factor");
        Assert.That(inv[1], Is.EqualTo((float)(1 / Math.Pow(500000, 2.0 / 128))).Within(1e-12));
    }
}
