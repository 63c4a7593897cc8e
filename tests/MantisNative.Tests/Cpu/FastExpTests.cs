using MantisNative.Backends.Cpu;
using NUnit.Framework;

namespace MantisNative.Tests.Cpu;

public class FastExpTests
{
    /// <summary>
    /// Against double exp over the whole finite range of fp32 results, including the vector tails (lengths
    /// not a multiple of the vector width). 2 ulp = 2 * 2^-23 relative (1 ulp of fp32 is 2^-23 of the
    /// value at most) is the accuracy class of the library exp it replaces; a wrong constant or a wrong
    /// exponent shift gives errors of 1e-3 or factors of 2.
    /// </summary>
    [Test]
    public void MatchesDoubleExpWithinTwoUlp()
    {
        var rng = new Random(5);
        foreach (int n in new[] { 1, 7, 8, 9, 31, 1000 })
        {
            var x = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 175 - 87)).ToArray();
            x[0] = n > 1 ? -87.3f : 0f;
            var y = new float[n];
            FastExp.Exp(x, y);
            for (int i = 0; i < n; i++)
            {
                double want = Math.Exp(x[i]);
                Assert.That(Math.Abs(y[i] - want) / want, Is.LessThanOrEqualTo(2 * Math.Pow(2, -23)), $"exp({x[i]:R}) = {y[i]:R}, want {want:R}");
            }
        }
    }

    [Test]
    public void EdgeCasesFollowIeeeExp()
    {
        var x = new[] { float.NegativeInfinity, -1000f, -88f, 0f, 88.72f, 89f, float.PositiveInfinity, float.NaN, 1f };
        var y = new float[x.Length];
        FastExp.Exp(x, y);
        Assert.That(y[0], Is.EqualTo(0f), "exp(-inf) must be exactly 0 (masked attention scores)");
        Assert.That(y[1], Is.EqualTo(0f));
        Assert.That(y[2], Is.GreaterThanOrEqualTo(0f).And.LessThan(1e-37f));
        Assert.That(y[3], Is.EqualTo(1f));
        Assert.That(float.IsFinite(y[4]) && y[4] > 3.3e38f, Is.True, $"exp(88.72) = {y[4]} must be finite, near FLT_MAX");
        Assert.That(y[5], Is.EqualTo(float.PositiveInfinity));
        Assert.That(y[6], Is.EqualTo(float.PositiveInfinity));
        Assert.That(float.IsNaN(y[7]), Is.True, "NaN must propagate");
        Assert.That(Math.Abs(y[8] - Math.E) / Math.E, Is.LessThan(2.5e-7));
    }

    [Test]
    public void ShiftedSumIsTheSoftmaxDenominator()
    {
        var row = new[] { 1f, 2f, float.NegativeInfinity, 3f, 0.5f, -1f, 2.5f, 0f, 1.5f, -0.25f };
        double want = row.Where(float.IsFinite).Sum(v => Math.Exp(v - 3.0));
        var copy = (float[])row.Clone();
        float sum = FastExp.ExpShiftedSum(copy, 3f);
        Assert.That(sum, Is.EqualTo(want).Within(1e-6 * want));
        Assert.That(copy[2], Is.EqualTo(0f));
        Assert.That(copy[3], Is.EqualTo(1f));
        Assert.That(copy[0], Is.EqualTo(Math.Exp(-2)).Within(3e-7));
    }
}
