using MantisNative.Backends.Cuda;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

public class LaunchTests
{
    [Test]
    public void KernelArgsKeepValuesAtNaturalAlignment()
    {
        var a = new KernelArgs().Ptr(0x1234_5678_9abcUL).Int(7).Float(2.5f).Long(-3).Int(9).Ptr((DeviceBuffer?)null);
        Assert.That(a.Count, Is.EqualTo(6));
        Assert.That(a.Get<ulong>(0), Is.EqualTo(0x1234_5678_9abcUL));
        Assert.That(a.Get<int>(1), Is.EqualTo(7));
        Assert.That(a.Get<float>(2), Is.EqualTo(2.5f));
        Assert.That(a.Get<long>(3), Is.EqualTo(-3));
        Assert.That(a.Get<int>(4), Is.EqualTo(9));
        Assert.That(a.Get<ulong>(5), Is.EqualTo(0UL));
        Assert.That(a.Offsets, Is.EqualTo(new[] { 0, 8, 12, 16, 24, 32 }));
    }

    [Test]
    public void KernelArgsGrow()
    {
        var a = new KernelArgs();
        for (int i = 0; i < 100; i++) a.Long(i);
        Assert.That(a.Get<long>(99), Is.EqualTo(99));
        Assert.That(a.Get<long>(0), Is.EqualTo(0));
    }

    [Test]
    public void GridStrideBlocksFillTheGpuButNoMore()
    {
        Assert.That(LaunchGeometry.GridStrideBlocks(1, 256, 132), Is.EqualTo(1));
        Assert.That(LaunchGeometry.GridStrideBlocks(0, 256, 132), Is.EqualTo(1));
        Assert.That(LaunchGeometry.GridStrideBlocks(257, 256, 132), Is.EqualTo(2));
        Assert.That(LaunchGeometry.GridStrideBlocks(1L << 32, 256, 132), Is.EqualTo(132 * LaunchGeometry.BlocksPerSm));
        Assert.Throws<ArgumentOutOfRangeException>(() => LaunchGeometry.GridStrideBlocks(10, 0, 1));
    }

    [TestCase(1, 32)]
    [TestCase(33, 64)]
    [TestCase(4096, 1024)]
    [TestCase(1000, 1024)]
    public void RowThreadsArePowersOfTwoFromAWarpToTheLimit(int cols, int threads) =>
        Assert.That(LaunchGeometry.RowThreads(cols), Is.EqualTo(threads));

    [Test]
    public void Dim3Converts()
    {
        Dim3 d = 5;
        Assert.That(d, Is.EqualTo(new Dim3(5, 1, 1)));
        Assert.That(LaunchGeometry.CeilDiv(65, 32), Is.EqualTo(3));
    }

    [Test]
    public void AttentionGeometryMatchesTheKernel()
    {
        // (4 tiles of 32 x (D+1) floats + 2 rows of D floats per warp) * 4 bytes, as in attention.cu.
        Assert.That(AttentionLaunch.BackwardSharedBytes(128), Is.EqualTo((4 * 32 * 129 + 2 * 4 * 128) * 4));
        Assert.That(AttentionLaunch.BackwardSharedBytes(64), Is.LessThan(48 * 1024));
        Assert.That(AttentionLaunch.ForwardGrid(2, 32, 100), Is.EqualTo(new Dim3(7, 64)));
        Assert.That(AttentionLaunch.BackwardGrid(2, 32, 100), Is.EqualTo(new Dim3(4, 64)));
        Assert.That(AttentionLaunch.ForwardFunction(80), Is.EqualTo("attention_forward_d80"));
        Assert.Throws<NotSupportedException>(() => AttentionLaunch.ForwardFunction(96));
        var source = KernelCatalog.LoadDefault().Get("attention").Text;
        Assert.That(source, Does.Contain($"#define ATT_WARPS {AttentionLaunch.Warps}"));
        Assert.That(source, Does.Contain($"#define ATT_BC {AttentionLaunch.KeysPerTile}"));
        Assert.That(source, Does.Contain("#define ATT_BR (ATT_WARPS * ATT_ROWS)"));
        Assert.That(source, Does.Contain("#define ATT_ROWS 4"));
    }
}
