using MantisNative.Autograd;
using MantisNative.Tensors;
using NUnit.Framework;
using AOps = MantisNative.Autograd.Ops;

namespace MantisNative.Tests.Ops;

/// <summary>
/// The fused LM head + cross-entropy against the unfused ops (Linear then CrossEntropy) on the CPU. Both are fp32;
/// the fused one runs its GEMMs per row chunk, so the weight gradient is summed chunk by chunk and the logits
/// come from GEMMs of other heights: the results differ by fp32 rounding only. 1e-5 relative L2 is ~50x the
/// rounding of sums of a few hundred fp32 terms, and a wrong chunk (a row dropped, counted twice, a wrong scale) is
/// off by > 1e-2.
/// </summary>
public class LinearCrossEntropyOpTests
{
    private const double Fp32Tolerance = 1e-5;

    private static float[] Normal(Random rng, int n, float scale) =>
        Enumerable.Range(0, n).Select(_ => (float)(scale * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray();

    private static int[] Targets(Random rng, int rows, int vocab) =>
        Enumerable.Range(0, rows).Select(r => r % 5 == 2 ? AOps.IgnoreIndex : rng.Next(vocab)).ToArray();

    private static double RelL2(float[] got, float[] want)
    {
        double num = 0, den = 0;
        for (int i = 0; i < want.Length; i++) { num += (double)(got[i] - want[i]) * (got[i] - want[i]); den += (double)want[i] * want[i]; }
        return Math.Sqrt(num / Math.Max(den, 1e-30));
    }

    /// <summary>Random hidden states, LM head and targets (every fifth ignored) of one test.</summary>
    private static (float[] H, float[] W, int[] T) Problem(int seed, int rows, int dim, int vocab)
    {
        var rng = new Random(seed);
        var h = Normal(rng, rows * dim, 1f);
        var w = Normal(rng, vocab * dim, 0.5f);
        return (h, w, Targets(rng, rows, vocab));
    }

    private sealed record Result(float Loss, float[] DHidden, float[]? DWeight);

    private static Result Run(float[] h, float[] w, int[] targets, int rows, int dim, int vocab, bool trainWeight, int? chunkRows, float upstream = 1f)
    {
        using var scope = new TensorScope();
        var hidden = Tensor.FromArray(h, rows, dim);
        hidden.RequiresGrad = true;
        var weight = Tensor.FromArray(w, vocab, dim);
        weight.RequiresGrad = trainWeight;
        var loss = chunkRows is int c
            ? AOps.LinearCrossEntropy(hidden, weight, targets, chunkRows: c)
            : AOps.CrossEntropy(AOps.Linear(hidden, weight), targets);
        float value = loss.Item();
        Tape.Backward(upstream == 1f ? loss : AOps.Scale(loss, upstream));
        return new Result(value, hidden.Grad!.ToArray(), weight.Grad?.ToArray());
    }

    [TestCase(1)]
    [TestCase(5)]
    [TestCase(8)]
    [TestCase(37)]
    [TestCase(0)]   // from the memory budget
    [TestCase(1000)]   // more than the rows: one chunk
    public void EqualsTheUnfusedLossAndGradients(int chunkRows)
    {
        int rows = 37, dim = 24, vocab = 301;
        var (h, w, t) = Problem(3, rows, dim, vocab);
        var want = Run(h, w, t, rows, dim, vocab, trainWeight: true, chunkRows: null);
        var got = Run(h, w, t, rows, dim, vocab, trainWeight: true, chunkRows: chunkRows);
        Assert.That(Math.Abs(got.Loss - want.Loss) / want.Loss, Is.LessThan(Fp32Tolerance), $"loss {got.Loss} vs {want.Loss}");
        Assert.That(RelL2(got.DHidden, want.DHidden), Is.LessThan(Fp32Tolerance), "hidden gradient");
        Assert.That(RelL2(got.DWeight!, want.DWeight!), Is.LessThan(Fp32Tolerance), "weight gradient");
        Assert.That(got.DHidden.Skip(2 * dim).Take(dim).All(v => v == 0f), "an ignored row gets no gradient");
    }

    [Test]
    public void FrozenWeightGetsNoGradientAndTheHiddenGradientIsUnchanged()
    {
        int rows = 20, dim = 16, vocab = 97;
        var (h, w, t) = Problem(4, rows, dim, vocab);
        var want = Run(h, w, t, rows, dim, vocab, trainWeight: false, chunkRows: null);
        var got = Run(h, w, t, rows, dim, vocab, trainWeight: false, chunkRows: 6);
        Assert.That(got.DWeight, Is.Null);
        Assert.That(RelL2(got.DHidden, want.DHidden), Is.LessThan(Fp32Tolerance));
    }

    [Test]
    public void TheUpstreamGradientScalesBothGradients()
    {
        int rows = 12, dim = 8, vocab = 50;
        var (h, w, t) = Problem(5, rows, dim, vocab);
        var want = Run(h, w, t, rows, dim, vocab, true, null, upstream: 0.25f);
        var got = Run(h, w, t, rows, dim, vocab, true, 5, upstream: 0.25f);
        Assert.That(RelL2(got.DHidden, want.DHidden), Is.LessThan(Fp32Tolerance));
        Assert.That(RelL2(got.DWeight!, want.DWeight!), Is.LessThan(Fp32Tolerance));
    }

    [Test]
    public void NoCountedTargetIsALossOfZeroWithoutGradient()
    {
        using var scope = new TensorScope();
        var hidden = Tensor.FromArray(new float[4 * 3], 4, 3);
        hidden.RequiresGrad = true;
        var weight = Tensor.FromArray(new float[5 * 3], 5, 3);
        var loss = AOps.LinearCrossEntropy(hidden, weight, Enumerable.Repeat(AOps.IgnoreIndex, 4).ToArray());
        Assert.That(loss.Item(), Is.EqualTo(0f));
        Assert.That(loss.RequiresGrad, Is.False);
    }

    [Test]
    public void BadShapesAndLabelsAreRefusedByName()
    {
        using var scope = new TensorScope();
        var hidden = Tensor.Zeros(4, 3);
        var weight = Tensor.Zeros(5, 3);
        Assert.That(() => AOps.LinearCrossEntropy(hidden, Tensor.Zeros(5, 2), new[] { 0, 1, 2, 3 }), Throws.ArgumentException.With.Message.Contains("does not end in 2"));
        Assert.That(() => AOps.LinearCrossEntropy(hidden, weight, new[] { 0, 1 }), Throws.ArgumentException.With.Message.Contains("2 targets for 4 rows"));
        Assert.That(() => AOps.LinearCrossEntropy(hidden, weight, new[] { 0, 1, 2, 5 }), Throws.TypeOf<MantisException>().With.Message.Contains("label 5"));
    }

    [Test]
    public void ChunkRowsFollowTheMemoryBudget()
    {
        long saved = AOps.LinearCrossEntropyChunkBytes;
        try
        {
            AOps.LinearCrossEntropyChunkBytes = 256L << 20;
            Assert.That(AOps.LinearCrossEntropyChunkRows(8192, 128256), Is.EqualTo(344), "256 MiB / (128256 x 6 bytes) = 348.8, down to a multiple of 8");
            Assert.That(AOps.LinearCrossEntropyChunkRows(100, 128256), Is.EqualTo(100), "never more than the rows");
            AOps.LinearCrossEntropyChunkBytes = 1;
            Assert.That(AOps.LinearCrossEntropyChunkRows(100, 128256), Is.EqualTo(1), "at least one row");
        }
        finally { AOps.LinearCrossEntropyChunkBytes = saved; }
    }

    /// <summary>
    /// Peak host tensor memory over forward and backward, measured by HostStorage's live-bytes high-water: the unfused
    /// path holds the [rows, vocab] logits and their gradient (2 x 8 MiB here); the fused one a chunk of 64 rows of
    /// logits (1 MiB) plus the hidden and weight gradients (0.5 MiB), and no allocation of rows x vocab.
    /// </summary>
    [Test, NonParallelizable]
    public void PeakMemoryStaysBoundedByTheChunk()
    {
        int rows = 512, dim = 32, vocab = 4096, chunk = 64;
        var (h, w, t) = Problem(6, rows, dim, vocab);
        long full = (long)rows * vocab * sizeof(float);
        long Peak(int? chunkRows)
        {
            long before = HostStorage.LiveBytes;
            HostStorage.ResetPeak();
            Run(h, w, t, rows, dim, vocab, trainWeight: true, chunkRows: chunkRows);
            return HostStorage.PeakLiveBytes - before;
        }
        long unfused = Peak(null), fused = Peak(chunk);
        long inputsAndGrads = 2L * (rows + vocab) * dim * sizeof(float);
        Assert.That(unfused, Is.GreaterThanOrEqualTo(2 * full), "the measurement sees the unfused logits and their gradient");
        Assert.That(fused, Is.LessThanOrEqualTo((long)chunk * vocab * sizeof(float) + inputsAndGrads + (64 << 10)),
            $"fused peak {fused} bytes against {full} for the full logits");
        TestContext.Out.WriteLine($"peak host tensor bytes: unfused {unfused}, fused {fused}");
    }
}
