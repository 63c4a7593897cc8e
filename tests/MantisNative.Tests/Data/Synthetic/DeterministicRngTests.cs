using MantisNative.Data.Synthetic;
using NUnit.Framework;

namespace MantisNative.Tests.Data.Synthetic;

public class DeterministicRngTests
{
    [Test]
    public void SplitMix64MatchesTheReferenceSequence()
    {
        // reference outputs of Vigna's splitmix64.c for state 0
        ulong s = 0;
        Assert.That(DeterministicRng.SplitMix64(ref s), Is.EqualTo(0xE220A8397B1DCDAFUL));
        Assert.That(DeterministicRng.SplitMix64(ref s), Is.EqualTo(0x6E789E6AA1B965F4UL));
        Assert.That(DeterministicRng.SplitMix64(ref s), Is.EqualTo(0x06C45D188009454FUL));
    }

    [Test]
    public void StreamsAreReproducibleAndIndependent()
    {
        var a = DeterministicRng.For(1, 1, 5);
        var b = DeterministicRng.For(1, 1, 5);
        var c = DeterministicRng.For(1, 1, 6);
        var xs = Enumerable.Range(0, 8).Select(_ => a.NextUInt64()).ToArray();
        Assert.That(Enumerable.Range(0, 8).Select(_ => b.NextUInt64()), Is.EqualTo(xs));
        Assert.That(Enumerable.Range(0, 8).Select(_ => c.NextUInt64()), Is.Not.EqualTo(xs));
    }

    [Test]
    public void NextIsUniformAndInRange()
    {
        var r = new DeterministicRng(42);
        var counts = new int[7];
        for (int i = 0; i < 70000; i++) counts[r.Next(7)]++;
        Assert.That(counts, Has.All.InRange(9500, 10500));
        for (int i = 0; i < 1000; i++) Assert.That(r.Range(-3, 3), Is.InRange(-3, 3));
    }
}
