using MantisNative.Backends.Cuda;
using MantisNative.Tensors;
using NUnit.Framework;
using AOps = MantisNative.Autograd.Ops;

namespace MantisNative.Tests.Cuda;

/// <summary>The device permute's arguments, run through the kernel's index math on the host, reproduce the CPU Permute.</summary>
public class PermuteGeometryTests
{
    [TestCase(new[] { 7 }, new[] { 0 })]
    [TestCase(new[] { 3, 5 }, new[] { 1, 0 })]
    [TestCase(new[] { 2, 3, 4, 5 }, new[] { 0, 2, 1, 3 })]
    [TestCase(new[] { 2, 3, 4, 5 }, new[] { 3, 1, 0, 2 })]
    [TestCase(new[] { 2, 1, 3, 2, 2, 3 }, new[] { 5, 4, 3, 2, 1, 0 })]
    public void KernelIndexMathMatchesCpuPermute(int[] dims, int[] perm)
    {
        var rng = new Rng(5);
        using var x = Tensor.Randn(new Shape(dims), rng);
        using var want = AOps.Permute(x, perm);
        var (kd, ks) = PermuteGeometry.For(dims, perm);
        var src = x.Span.ToArray();
        var got = new float[x.Numel];
        for (long o = 0; o < got.Length; o++) got[o] = src[PermuteGeometry.SourceIndex(o, kd, ks)];
        Assert.That(got, Is.EqualTo(want.Span.ToArray()));
        Assert.That(kd.Aggregate(1L, (a, d) => a * d), Is.EqualTo(x.Numel));
    }

    [Test]
    public void RankAboveSixIsAClearError() =>
        Assert.Throws<MantisException>(() => PermuteGeometry.For(new[] { 1, 1, 1, 1, 1, 1, 1 }, Enumerable.Range(0, 7).ToArray()));
}
