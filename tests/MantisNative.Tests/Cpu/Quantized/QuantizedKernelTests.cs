using MantisNative.Backends.Cpu.Quantized;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.Cpu.Quantized;

public unsafe class QuantizedKernelTests
{
    [Test]
    public void PairedNf4KernelTakesEveryPathWhoseGroupDividesTheBlock()
    {
        var m = new QuantizedMatrix(QuantizedFormat.Nf4, 4, 4096, 64, null, null);
        Assert.That(Nf4PairedGemv.Applies(m, SimdPath.Avx512) && Nf4PairedGemv.Applies(m, SimdPath.Avx2), Is.True);
        Assert.That(Nf4PairedGemv.Applies(m, SimdPath.Scalar), Is.False, "the scalar path is the reference");
        var odd = new QuantizedMatrix(QuantizedFormat.Nf4, 4, 4096, 48, null, null);
        Assert.That(Nf4PairedGemv.Applies(odd, SimdPath.Avx2) && !Nf4PairedGemv.Applies(odd, SimdPath.Avx512), Is.True, "48 = 3 AVX2 groups, not whole AVX-512 groups");
        Assert.That(Nf4PairedGemv.Applies(new QuantizedMatrix(QuantizedFormat.Int8, 4, 4096, 64, null, null), SimdPath.Avx512), Is.False);
    }

    [Test]
    public void PairedInputHoldsEachGroupsEvenThenOddElements()
    {
        var x = Enumerable.Range(0, 64).Select(i => (float)i).ToArray();
        var xp = new float[64];
        fixed (float* px = x, pp = xp) Nf4PairedGemv.PairX(px, pp, 64, 32);
        Assert.That(xp[..16], Is.EqualTo(Enumerable.Range(0, 16).Select(j => (float)(2 * j))));
        Assert.That(xp[16..32], Is.EqualTo(Enumerable.Range(0, 16).Select(j => (float)(2 * j + 1))));
        Assert.That(xp[32..48], Is.EqualTo(Enumerable.Range(0, 16).Select(j => (float)(32 + 2 * j))));
    }

    private static IEnumerable<SimdPath> Paths()
    {
        yield return SimdPath.Scalar;
        if (QuantizedDecode.Avx2Ok) yield return SimdPath.Avx2;
        if (QuantizedDecode.Avx512Ok) yield return SimdPath.Avx512;
    }

    /// <summary>A quantized random Gaussian [rows, cols] with its codes, scales and the source floats.</summary>
    private sealed class Quantized : IDisposable
    {
        public readonly float[] Source;
        private readonly byte[] _codes;
        private readonly float[] _scales;
        private System.Runtime.InteropServices.GCHandle _hc, _hs;
        public readonly QuantizedMatrix M;

        public Quantized(QuantizedFormat f, int rows, int cols, int block, ulong seed, float std = 1f)
        {
            var rng = new Rng(seed);
            Source = Enumerable.Range(0, rows * cols).Select(_ => (float)(rng.NextNormal() * std)).ToArray();
            int rb = QuantizedMatrix.RowBytesFor(f, cols), nb = QuantizedMatrix.BlocksFor(cols, block);
            _codes = new byte[rows * rb + 16]; // slack: SIMD reads stay inside the array
            _scales = new float[rows * nb];
            for (int r = 0; r < rows; r++)
                WeightQuantizer.QuantizeRow(f, block, Source.AsSpan(r * cols, cols), _codes.AsSpan(r * rb, rb), _scales.AsSpan(r * nb, nb));
            _hc = System.Runtime.InteropServices.GCHandle.Alloc(_codes, System.Runtime.InteropServices.GCHandleType.Pinned);
            _hs = System.Runtime.InteropServices.GCHandle.Alloc(_scales, System.Runtime.InteropServices.GCHandleType.Pinned);
            M = new QuantizedMatrix(f, rows, cols, block, (byte*)_hc.AddrOfPinnedObject(), (float*)_hs.AddrOfPinnedObject());
        }

        public float[] Dequantized()
        {
            var d = new float[M.Rows * M.Cols];
            for (int r = 0; r < M.Rows; r++) QuantizedDequantize.DequantizeScalar(M, r, 0, M.Cols, d.AsSpan(r * M.Cols, M.Cols));
            return d;
        }

        public void Dispose() { _hc.Free(); _hs.Free(); }
    }

    private static readonly int[] Widths = [1, 2, 15, 16, 17, 31, 64, 100, 129, 1152];

    [Test]
    public void EverySimdPathDequantizesBitIdenticallyToTheScalarReference([Values] QuantizedFormat f)
    {
        foreach (int cols in Widths)
            foreach (int block in new[] { 16, 64, QuantizedMatrix.PerRowBlock(cols) })
            {
                using var q = new Quantized(f, 3, cols, block, (ulong)(cols * 31 + block));
                var want = q.Dequantized();
                foreach (var path in Paths())
                    for (int r = 0; r < 3; r++)
                        foreach (var (c0, n) in new[] { (0, cols), (cols / 3, cols - cols / 3), (1, Math.Max(0, cols - 2)) })
                        {
                            var got = new float[n];
                            QuantizedDequantize.Row(q.M, r, c0, n, got, path);
                            Assert.That(got, Is.EqualTo(want.AsSpan(r * cols + c0, n).ToArray()), $"{f} {path} cols {cols} block {block} row {r} from {c0}");
                        }
            }
    }

    [Test]
    public void Int8ErrorIsAtMostHalfAStepAndNf4DecodesToTheNearestCode()
    {
        using var i8 = new Quantized(QuantizedFormat.Int8, 4, 300, QuantizedMatrix.PerRowBlock(300), 1);
        var d8 = i8.Dequantized();
        for (int r = 0; r < 4; r++)
        {
            float absmax = i8.Source.Skip(r * 300).Take(300).Max(Math.Abs);
            float step = absmax / 127;
            for (int c = 0; c < 300; c++)
                Assert.That(Math.Abs(d8[r * 300 + c] - i8.Source[r * 300 + c]), Is.LessThanOrEqualTo(step / 2 * 1.0001f + 1e-7f));
        }
        using var n4 = new Quantized(QuantizedFormat.Nf4, 2, 130, 64, 2);
        var d4 = n4.Dequantized();
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 130; c++)
            {
                int b0 = c / 64 * 64;
                float absmax = n4.Source.Skip(r * 130 + b0).Take(Math.Min(64, 130 - b0)).Max(Math.Abs);
                float v = n4.Source[r * 130 + c] / absmax;
                float best = Nf4Codebook.Values.OrderBy(t => Math.Abs(t - v)).First();
                Assert.That(d4[r * 130 + c], Is.EqualTo(absmax * best).Within(1e-6f * absmax), $"row {r} col {c}");
            }
    }

    [Test]
    public void ScalesAloneEqualTheScalesOfAFullQuantization([Values] QuantizedFormat f)
    {
        var rng = new Rng(6);
        foreach (int cols in Widths)
        {
            var row = Enumerable.Range(0, cols).Select(_ => (float)rng.NextNormal()).ToArray();
            int block = 64, nb = QuantizedMatrix.BlocksFor(cols, block);
            var full = new float[nb];
            var alone = new float[nb];
            WeightQuantizer.QuantizeRow(f, block, row, new byte[cols], full);
            WeightQuantizer.RowScales(f, block, row, alone);
            Assert.That(alone, Is.EqualTo(full), $"{f} cols {cols}");
        }
        for (float v = -1.2f; v <= 1.2f; v += 0.0009765625f)
        {
            float best = Nf4Codebook.Values.Select(t => Math.Abs(t - v)).Min();
            Assert.That(Math.Abs(Nf4Codebook.Values[Nf4Codebook.Nearest(v)] - v), Is.EqualTo(best), $"nearest NF4 value to {v}");
        }
    }

    [Test]
    public void AllZeroBlocksDecodeToZeroAndNonFiniteWeightsAreRefused()
    {
        var codes = new byte[32];
        var scales = new float[1];
        foreach (var f in new[] { QuantizedFormat.Int8, QuantizedFormat.Nf4 })
        {
            WeightQuantizer.QuantizeRow(f, 32, new float[32], codes, scales);
            fixed (byte* c = codes) fixed (float* s = scales)
            {
                var m = new QuantizedMatrix(f, 1, 32, 32, c, s);
                var d = new float[32];
                QuantizedDequantize.Row(m, 0, 0, 32, d);
                Assert.That(d, Is.All.EqualTo(0f), f.ToString());
            }
            var bad = new float[32];
            bad[5] = float.NaN;
            Assert.Throws<MantisException>(() => WeightQuantizer.QuantizeRow(f, 32, bad, codes, scales));
            Assert.Throws<MantisException>(() => WeightQuantizer.RowScales(f, 32, bad, scales));
        }
    }

    /// <summary>
    /// pairedNf4: NF4 rows through <see cref="Nf4PairedGemv"/> (de-interleaved x, nibbles looked up in place) where the
    /// block size allows (64 here; a per-row block only when a multiple of the group), else the element-order decoder.
    /// Widths 200 and 4000 leave a part of the row past the last whole 32-element group on the AVX-512 path.
    /// </summary>
    [Test]
    public void FusedGemvMatchesADoubleReferenceOnEveryPath([Values] QuantizedFormat f, [Values] bool pairedNf4)
    {
        bool was = QuantizedGemv.PairedNf4;
        QuantizedGemv.PairedNf4 = pairedNf4;
        try { FusedGemvCase(f); }
        finally { QuantizedGemv.PairedNf4 = was; }
    }

    private static void FusedGemvCase(QuantizedFormat f)
    {
        foreach (int cols in Widths.Concat([200, 4000]))
            foreach (int block in new[] { 64, 128, QuantizedMatrix.PerRowBlock(cols) })
            {
                const int rows = 37;
                using var q = new Quantized(f, rows, cols, block, (ulong)(cols + 7 * block));
                var w = q.Dequantized();
                var rng = new Rng(9);
                var x = Enumerable.Range(0, cols).Select(_ => (float)rng.NextNormal()).ToArray();
                foreach (var path in Paths())
                    foreach (bool parallel in new[] { false, true })
                    {
                        var y = new float[rows];
                        QuantizedGemv.Multiply(q.M, x, y, path, parallel);
                        for (int r = 0; r < rows; r++)
                        {
                            double want = 0, mag = 0;
                            for (int c = 0; c < cols; c++) { want += (double)w[r * cols + c] * x[c]; mag += Math.Abs((double)w[r * cols + c] * x[c]); }
                            // fp32 sums of `cols` terms in some order: |error| <= cols * eps * sum|w x| (worst case)
                            Assert.That(y[r], Is.EqualTo(want).Within(cols * 1.2e-7 * mag + 1e-30), $"{f} {path} cols {cols} block {block} row {r}");
                        }
                    }
            }
    }

    [Test]
    public void PackedPanelHoldsTheDequantizedWeightTransposedAndZeroPadded([Values] QuantizedFormat f)
    {
        const int rows = 21, cols = 100, nr = 16;
        using var q = new Quantized(f, rows, cols, 64, 5);
        var w = q.Dequantized();
        foreach (var (p0, kc, j0) in new[] { (0, 100, 0), (32, 48, 16), (16, 60, 8) })
        {
            var panel = new float[kc * nr];
            Array.Fill(panel, float.NaN); // poisoned: every element must be written
            fixed (float* d = panel) QuantizedPacking.PackBPanel(q.M, p0, kc, j0, nr, d, new float[kc]);
            for (int p = 0; p < kc; p++)
                for (int j = 0; j < nr; j++)
                {
                    float want = j0 + j < rows ? w[(j0 + j) * cols + p0 + p] : 0f;
                    Assert.That(panel[p * nr + j], Is.EqualTo(want), $"p {p} j {j} (panel at {j0}, k from {p0})");
                }
        }
    }

    [Test]
    public void QuantizationErrorOfGaussianWeights()
    {
        // Relative L2 error of the dequantized weight, N(0,1) rows of 4096 (a Llama-3-8B row length).
        // Int8 per channel: step = absmax/127 with absmax ~ 3.9 sigma, error std = step/sqrt(12) ~ 0.0089 sigma.
        // NF4, 64 per block: QLoRA's format; its quantiles put the error near 0.1 sigma.
        using var i8 = new Quantized(QuantizedFormat.Int8, 16, 4096, QuantizedMatrix.PerRowBlock(4096), 11);
        using var n4 = new Quantized(QuantizedFormat.Nf4, 16, 4096, 64, 11);
        double e8 = MantisNative.Tests.Ops.GradCheck.RelL2(i8.Dequantized(), i8.Source.Select(v => (double)v).ToArray());
        double e4 = MantisNative.Tests.Ops.GradCheck.RelL2(n4.Dequantized(), n4.Source.Select(v => (double)v).ToArray());
        TestContext.Out.WriteLine($"relative L2 error: int8 per-channel {e8:E3}, nf4/64 {e4:E3}");
        Assert.That(e8, Is.InRange(0.006, 0.011));
        Assert.That(e4, Is.InRange(0.06, 0.12));
    }
}
