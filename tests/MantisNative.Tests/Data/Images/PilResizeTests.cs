using MantisNative.Data.Images;
using NUnit.Framework;

namespace MantisNative.Tests.Data.Images;

/// <summary>
/// The bit-exactness against PIL is shown by ProcessorFixtureTests; these pin the pieces (coefficients,
/// pass skipping, clipping) and guard indexing on odd sizes against a plain double-precision resampler.
/// </summary>
public class PilResizeTests
{
    [Test]
    public void BicubicCoefficientsForHalvingMatchPillowsFormula()
    {
        // 4 -> 2: scale 2, support 4; output 0 is centred at 1.0 and reads inputs 0..3 at (x - 1 + 0.5) / 2.
        var c = ResampleCoefficients.Compute(4, 2, PilResample.Bicubic);
        Assert.That(c.KSize, Is.EqualTo(9));
        Assert.That(c.Start[0], Is.EqualTo(0));
        Assert.That(c.Counts[0], Is.EqualTo(4));
        double[] w = [Keys(-0.25), Keys(0.25), Keys(0.75), Keys(1.25)];
        double sum = w.Sum();
        for (int i = 0; i < 4; i++)
        {
            double v = w[i] / sum * (1 << 22);
            int expected = v < 0 ? (int)(v - 0.5) : (int)(v + 0.5);
            Assert.That(c.Weights[i], Is.EqualTo(expected), $"tap {i}");
        }
    }

    private static double Keys(double x)
    {
        x = Math.Abs(x);
        return x < 1 ? 1.5 * x * x * x - 2.5 * x * x + 1 : x < 2 ? -0.5 * x * x * x + 2.5 * x * x - 4 * x + 2 : 0;
    }

    [TestCase(PilResample.Bicubic)]
    [TestCase(PilResample.Bilinear)]
    [TestCase(PilResample.Lanczos)]
    [TestCase(PilResample.Box)]
    [TestCase(PilResample.Hamming)]
    public void ConstantImageStaysConstant(PilResample filter)
    {
        var src = Filled(37, 23, 200, 0, 255);
        foreach (var (w, h) in new[] { (10, 7), (80, 50), (37, 5), (3, 23), (1, 1) })
        {
            var r = PilResize.Resize(src, w, h, filter);
            Assert.That((r.Width, r.Height), Is.EqualTo((w, h)));
            for (int i = 0; i < r.Pixels.Length; i += 3)
                Assert.That((r.Pixels[i], r.Pixels[i + 1], r.Pixels[i + 2]), Is.EqualTo(((byte)200, (byte)0, (byte)255)), $"{filter} {w}x{h}");
        }
    }

    [Test]
    public void SameSizeIsACopy()
    {
        var src = Random(9, 4, 1);
        var r = PilResize.Resize(src, 9, 4);
        Assert.That(r, Is.Not.SameAs(src));
        Assert.That(r.Pixels, Is.EqualTo(src.Pixels));
    }

    [Test]
    public void OvershootIsClippedToByteRange()
    {
        // A hard 0/255 edge enlarged with bicubic rings below 0 and above 255 before clipping.
        var src = new RgbImage(4, 1, [0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255]);
        var r = PilResize.Resize(src, 16, 1);
        Assert.That(r.Pixels.Min(), Is.EqualTo(0));
        Assert.That(r.Pixels.Max(), Is.EqualTo(255));
    }

    [TestCase(7, 5, 3, 2)]
    [TestCase(3, 2, 7, 5)]
    [TestCase(1, 9, 5, 1)]
    [TestCase(64, 48, 38, 38)]
    [TestCase(20, 71, 32, 32)]
    [TestCase(53, 37, 45, 32)]
    public void WithinOneLevelOfADoubleReference(int w, int h, int ow, int oh)
    {
        var src = Random(w, h, w * 1000 + h);
        var got = PilResize.Resize(src, ow, oh);
        var want = DoubleReference(src, ow, oh);
        for (int i = 0; i < want.Length; i++)
            Assert.That(Math.Abs(got.Pixels[i] - want[i]), Is.LessThanOrEqualTo(1.0), $"byte {i}");
    }

    // Separable antialiased bicubic in double, both passes unrounded except the final byte: the same
    // filter and support as Pillow, but none of its fixed point or intermediate rounding.
    private static double[] DoubleReference(RgbImage src, int ow, int oh)
    {
        double[] Pass(double[] data, int inLen, int outLen, int count, Func<int, int, int> index)
        {
            var res = new double[outLen * count * 3];
            double scale = (double)inLen / outLen, fs = Math.Max(scale, 1), support = 2 * fs;
            for (int o = 0; o < outLen; o++)
            {
                double center = (o + 0.5) * scale;
                int lo = Math.Max(0, (int)(center - support + 0.5)), hi = Math.Min(inLen, (int)(center + support + 0.5));
                var wts = Enumerable.Range(lo, hi - lo).Select(x => Keys((x - center + 0.5) / fs)).ToArray();
                double sum = wts.Sum();
                for (int n = 0; n < count; n++)
                    for (int ch = 0; ch < 3; ch++)
                    {
                        double acc = 0;
                        for (int x = lo; x < hi; x++) acc += wts[x - lo] / sum * data[index(x, n) * 3 + ch];
                        res[(o * count + n) * 3 + ch] = acc;
                    }
            }
            return res;
        }
        int w = src.Width, h = src.Height;
        var input = src.Pixels.Select(b => (double)b).ToArray();
        // Horizontal: result laid out [x][y]; vertical reads it back and lays out [y][x].
        var horiz = Pass(input, w, ow, h, (x, y) => y * w + x);
        var vert = Pass(horiz, h, oh, ow, (y, x) => x * h + y);
        return vert.Select(v => Math.Clamp(Math.Round(v), 0, 255)).ToArray();
    }

    private static RgbImage Filled(int w, int h, byte r, byte g, byte b)
    {
        var p = new byte[w * h * 3];
        for (int i = 0; i < p.Length; i += 3) { p[i] = r; p[i + 1] = g; p[i + 2] = b; }
        return new RgbImage(w, h, p);
    }

    // Smooth-ish random content: rounding differences stay at one level instead of amplifying ringing.
    private static RgbImage Random(int w, int h, int seed)
    {
        var rng = new Random(seed);
        var p = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    p[(y * w + x) * 3 + c] = (byte)Math.Clamp(128 + 60 * Math.Sin(0.3 * x + 0.2 * y + c) + rng.Next(-20, 21), 0, 255);
        return new RgbImage(w, h, p);
    }
}
