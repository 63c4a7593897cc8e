using MantisNative.Backends.Cpu;
using NUnit.Framework;

namespace MantisNative.Tests.Cpu;

[NonParallelizable] // switches the process-wide kernel family
public class CpuIsaSelectionTests
{
    [TestCase("avx512", CpuIsa.Avx512)]
    [TestCase(" AVX2 ", CpuIsa.Avx2)]
    [TestCase("neon", CpuIsa.Neon)]
    [TestCase("scalar", CpuIsa.Scalar)]
    public void ParsesTheFamilyNames(string text, CpuIsa want) => Assert.That(CpuIsaSelection.Parse(text), Is.EqualTo(want));

    [TestCase("sse9")]
    [TestCase("")]
    [TestCase(null)]
    public void RejectsUnknownNames(string? text) => Assert.That(CpuIsaSelection.Parse(text), Is.Null);

    [Test]
    public void ScalarAndTheBestFamilyAreAlwaysSupported()
    {
        Assert.That(CpuIsaSelection.Supported, Does.Contain(CpuIsa.Scalar));
        Assert.That(CpuIsaSelection.Supported, Does.Contain(CpuIsaSelection.Best));
    }

    [Test]
    public void ForcingSwitchesTheGemmFamilyAndRestoresIt()
    {
        var before = CpuIsaSelection.Active;
        foreach (var isa in CpuIsaSelection.Supported)
        {
            using (CpuIsaSelection.Force(isa))
            {
                Assert.That(CpuIsaSelection.Active, Is.EqualTo(isa));
                Assert.That(GemmFamily.Active.Isa, Is.EqualTo(isa));
            }
            Assert.That(CpuIsaSelection.Active, Is.EqualTo(before));
        }
    }

    [Test]
    public void ForcingAnUnsupportedFamilyNamesIt()
    {
        var missing = Enum.GetValues<CpuIsa>().Where(i => !CpuIsaSelection.Supports(i)).ToList();
        if (missing.Count == 0) Assert.Ignore("this CPU supports every family");
        var ex = Assert.Throws<MantisException>(() => CpuIsaSelection.Force(missing[0]));
        Assert.That(ex!.Message, Does.Contain(missing[0].ToString()));
    }

    /// <summary>The blocking each family derives from the cache sizes fits the packing's assumptions.</summary>
    [Test]
    public void FamilyBlockingIsConsistent()
    {
        foreach (var isa in Enum.GetValues<CpuIsa>())
        {
            var f = GemmFamily.For(isa);
            Assert.That(f.KCMax % 8, Is.Zero, f.ToString());
            Assert.That(f.MCMax % f.MR, Is.Zero, f.ToString());
            Assert.That(f.NCMax % f.NR, Is.Zero, f.ToString());
            long bPanel = (long)f.KCMax * f.NR * sizeof(float);
            // the one documented exception (GemmFamily): on a 32 KB L1d the AVX-512 tile takes KC 384, its 48 KB
            // B micro-panel streaming from L2 (measured faster than the L1-sized KC 168 there); it must still be a
            // small part of L2, beside the packed A block
            bool deepKcOnSmallL1 = isa == CpuIsa.Avx512 && f.KCMax == 384 && CpuCaches.L1Data * 2 / 3 / (f.NR * sizeof(float)) < 256;
            if (deepKcOnSmallL1) Assert.That(bPanel, Is.LessThanOrEqualTo(CpuCaches.L2 / 8), $"{f}: B micro-panel must be a small part of L2");
            else Assert.That(bPanel, Is.LessThanOrEqualTo(CpuCaches.L1Data), $"{f}: B micro-panel must fit L1d");
            Assert.That((long)f.MCMax * f.KCMax * sizeof(float), Is.LessThanOrEqualTo(CpuCaches.L2), $"{f}: A block must fit L2");
        }
    }

    [TestCase("48K", 48 << 10)]
    [TestCase("2048K", 2 << 20)]
    [TestCase("1M", 1 << 20)]
    [TestCase("", 0)]
    [TestCase("xK", 0)]
    public void ParsesSysfsCacheSizes(string text, int bytes) => Assert.That(CpuCaches.ParseSize(text), Is.EqualTo(bytes));

    [TestCase("0", 1)]
    [TestCase("0-1", 2)]
    [TestCase("0-3,8,10-11", 7)]
    public void CountsSharedCpuLists(string list, int count) => Assert.That(CpuCaches.CountCpus(list), Is.EqualTo(count));
}
