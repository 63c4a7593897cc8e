using MantisNative.Autograd;
using Tape = MantisNative.Autograd.Tape;
using MantisNative.Backends.Cpu.Frozen;
using MantisNative.Backends.Cpu.Quantized;
using MantisNative.Tensors;
using NUnit.Framework;
using AOps = MantisNative.Autograd.Ops;

namespace MantisNative.Tests.Cpu.Frozen;

/// <summary>
/// AOps.FrozenLinear / FrozenEmbedding over every frozen format against the fp32 op on the decoded weight.
/// Shapes cover GEMV (1-2 rows) and packed GEMM (edge panels, k over several KC blocks, odd widths).
/// </summary>
public unsafe class FrozenLinearTests
{
    private static readonly (int M, int N, int K)[] Shapes = [(1, 37, 100), (2, 64, 129), (5, 37, 600), (40, 100, 17), (70, 130, 1100)];

    private static float[] Random(int n, ulong seed, float std = 1f)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextNormal() * std)).ToArray();
    }

    private static FrozenMatrix Make(WeightFormat f, int rows, int cols, ulong seed)
    {
        var w = Random(rows * cols, seed, 0.5f);
        return f switch
        {
            WeightFormat.F32 => new DenseMatrix(Tensor.FromArray(w, rows, cols)),
            WeightFormat.BF16 or WeightFormat.F16 => HalfMatrix.Round(f, rows, cols, w),
            WeightFormat.Int8 => FrozenQuantizer.Quantize(QuantizedFormat.Int8, rows, cols, FrozenQuantizer.DefaultBlock(QuantizedFormat.Int8, cols), (r, d) => w.AsSpan(r * cols, cols).CopyTo(d)),
            _ => FrozenQuantizer.Quantize(QuantizedFormat.Nf4, rows, cols, 64, (r, d) => w.AsSpan(r * cols, cols).CopyTo(d)),
        };
    }

    /// <summary>Σ |a||b| per output: the scale of fp32 rounding error in a dot product.</summary>
    private static void AssertClose(float[] got, double[] want, double[] scale, int k, string what)
    {
        // fp32 accumulation over k terms: error below ~k * 2^-24 times Σ|a||b| (a loose but honest bound)
        double tol = Math.Max(16, k) * 6e-8;
        for (int i = 0; i < got.Length; i++)
            Assert.That(Math.Abs(got[i] - want[i]), Is.LessThanOrEqualTo(tol * scale[i] + 1e-30), $"{what}: element {i}: {got[i]} vs {want[i]}");
    }

    [Test]
    public void ForwardEqualsTheProductWithTheDecodedWeight([Values] WeightFormat f)
    {
        foreach (var (m, n, k) in Shapes)
        {
            using var w = Make(f, n, k, (ulong)(m * 7 + n));
            using var dense = w.ToF32();
            var wd = dense.ToArray();
            var xs = Random(m * k, (ulong)k);
            var bias = Random(n, 5);
            using var x = Tensor.FromArray(xs, m, k);
            using var b = Tensor.FromArray(bias, n);
            using var y = AOps.FrozenLinear(x, w, b);
            var want = new double[m * n];
            var scale = new double[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = bias[j], a = Math.Abs(bias[j]);
                    for (int p = 0; p < k; p++) { s += (double)xs[i * k + p] * wd[j * k + p]; a += Math.Abs((double)xs[i * k + p] * wd[j * k + p]); }
                    want[i * n + j] = s;
                    scale[i * n + j] = a;
                }
            AssertClose(y.ToArray(), want, scale, k, $"{f} {m}x{n}x{k}");
        }
    }

    /// <summary>
    /// The bf16 decode GEMV four rows per pass and one row per pass (HalfMatrix.FourRows), with row counts that leave
    /// 1-3 rows after the last pass and widths that leave a part past the last whole vector; the second shape is
    /// large enough to be split over the workers.
    /// </summary>
    [Test]
    public void Bf16GemvFourRowsAndOneRowMatchTheDoubleReference([Values] bool fourRows)
    {
        bool was = HalfMatrix.FourRows;
        HalfMatrix.FourRows = fourRows;
        try
        {
            foreach (var (n, k) in new[] { (37, 100), (6, 40), (203, 4111) })
            {
                using var w = Make(WeightFormat.BF16, n, k, (ulong)(n + k));
                using var dense = w.ToF32();
                var wd = dense.ToArray();
                var xs = Random(k, (ulong)k + 1);
                using var x = Tensor.FromArray(xs, 1, k);
                using var y = AOps.FrozenLinear(x, w, null);
                var want = new double[n];
                var scale = new double[n];
                for (int j = 0; j < n; j++)
                    for (int p = 0; p < k; p++) { want[j] += (double)xs[p] * wd[j * k + p]; scale[j] += Math.Abs((double)xs[p] * wd[j * k + p]); }
                AssertClose(y.ToArray(), want, scale, k, $"bf16 GEMV {n}x{k} fourRows={fourRows}");
            }
        }
        finally { HalfMatrix.FourRows = was; }
    }

    [Test]
    public void A16BitWeightGivesExactlyTheFp32GemmOfItsWidenedValues([Values(WeightFormat.BF16, WeightFormat.F16)] WeightFormat f)
    {
        // large enough for the packed GEMM on both sides: same block sizes, packing and micro-kernel, so bit-equal
        const int m = 70, n = 130, k = 1100;
        using var w = Make(f, n, k, 11);
        using var dense = w.ToF32();
        using var x = Tensor.FromArray(Random(m * k, 3), m, k);
        using var got = AOps.FrozenLinear(x, w);
        using var want = AOps.Linear(x, dense);
        Assert.That(got.ToArray(), Is.EqualTo(want.ToArray()));
    }

    [Test]
    public void InputGradientFlowsThroughTheFrozenWeightAndTheWeightGetsNone([Values] WeightFormat f)
    {
        foreach (var (m, n, k) in Shapes)
        {
            using var w = Make(f, n, k, (ulong)(n + k));
            var wd = w.ToF32().ToArray();
            var x = Tensor.FromArray(Random(m * k, 9), m, k);
            x.RequiresGrad = true;
            var gy = Random(m * n, 13);
            var y = AOps.FrozenLinear(x, w);
            Tape.Backward(y, Tensor.FromArray(gy, m, n));
            var want = new double[m * k];
            var scale = new double[m * k];
            for (int i = 0; i < m; i++)
                for (int p = 0; p < k; p++)
                    for (int j = 0; j < n; j++)
                    {
                        want[i * k + p] += (double)gy[i * n + j] * wd[j * k + p];
                        scale[i * k + p] += Math.Abs((double)gy[i * n + j] * wd[j * k + p]);
                    }
            AssertClose(x.Grad!.ToArray(), want, scale, n, $"{f} dX {m}x{n}x{k}");
        }
    }

    [Test]
    public void EmbeddingRowsAreTheDecodedRows([Values] WeightFormat f)
    {
        using var w = Make(f, 50, 33, 21);
        var wd = w.ToF32().ToArray();
        using var e = AOps.FrozenEmbedding(w, new[] { 3, 0, 49, 3 });
        var got = e.ToArray();
        int[] ids = [3, 0, 49, 3];
        for (int i = 0; i < ids.Length; i++)
            Assert.That(got.AsSpan(i * 33, 33).ToArray(), Is.EqualTo(wd.AsSpan(ids[i] * 33, 33).ToArray()));
        var ex = Assert.Throws<MantisException>(() => AOps.FrozenEmbedding(w, new[] { 50 }));
        Assert.That(ex!.Message, Does.Contain("token id 50"));
    }

    [Test]
    public void Bf16DecodingIsExactWidening()
    {
        var values = Random(1000, 4);
        using var w = HalfMatrix.Round(WeightFormat.BF16, 10, 100, values);
        var got = w.ToF32().ToArray();
        for (int i = 0; i < values.Length; i++)
            Assert.That(got[i], Is.EqualTo(FloatConversion.FromBFloat16(FloatConversion.ToBFloat16(values[i]))));
    }
}
