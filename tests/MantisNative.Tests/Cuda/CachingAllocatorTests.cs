using MantisNative.Backends.Cuda;
using MantisNative.Interop;
using NUnit.Framework;

namespace MantisNative.Tests.Cuda;

public class CachingAllocatorTests
{
    private sealed class FakeRaw : IRawDeviceMemory
    {
        public long Capacity = long.MaxValue;
        public long Used;
        public readonly Dictionary<ulong, long> Live = new();
        private ulong _next = 0x1000;
        public int Allocs, Frees;

        public ulong Allocate(long bytes)
        {
            if (Used + bytes > Capacity) throw new CudaException("cuMemAlloc", (int)CuResult.OutOfMemory, "CUDA_ERROR_OUT_OF_MEMORY");
            Allocs++;
            Used += bytes;
            var p = _next;
            _next += (ulong)bytes + 0x1000;
            Live[p] = bytes;
            return p;
        }

        public void Free(ulong p)
        {
            Frees++;
            Used -= Live[p];
            Live.Remove(p);
        }
    }

    [TestCase(1, 512)]
    [TestCase(512, 512)]
    [TestCase(513, 1024)]
    [TestCase(1024 * 1024 - 1, 1024 * 1024)]
    [TestCase(1024 * 1024 + 1, 2 * 1024 * 1024)]
    [TestCase(3 * 1024 * 1024, 4 * 1024 * 1024)]
    public void RoundsSizes(long bytes, long rounded) => Assert.That(CachingAllocator.RoundSize(bytes), Is.EqualTo(rounded));

    [Test]
    public void ReusesFreedBlocksOfTheSameRoundedSize()
    {
        var raw = new FakeRaw();
        using var a = new CachingAllocator(raw);
        var p = a.Allocate(1000);
        a.Free(p, 1000);
        Assert.That(a.BytesCached, Is.EqualTo(1024));
        var q = a.Allocate(900);
        Assert.That(q, Is.EqualTo(p));
        Assert.That(raw.Allocs, Is.EqualTo(1));
        Assert.That(a.BytesInUse, Is.EqualTo(1024));
        Assert.That(a.BytesCached, Is.EqualTo(0));
    }

    [Test]
    public void OutOfMemoryReleasesTheCacheAndRetries()
    {
        var raw = new FakeRaw { Capacity = 8L * 1024 * 1024 };
        using var a = new CachingAllocator(raw);
        var p = a.Allocate(6L * 1024 * 1024);
        a.Free(p, 6L * 1024 * 1024);
        var q = a.Allocate(4L * 1024 * 1024);   // does not fit next to the cached 6 MiB block
        Assert.That(q, Is.Not.EqualTo(0UL));
        Assert.That(raw.Frees, Is.EqualTo(1));
        Assert.That(a.BytesCached, Is.EqualTo(0));
    }

    [Test]
    public void OutOfMemoryWithNothingCachedPropagates()
    {
        var raw = new FakeRaw { Capacity = 1024 };
        using var a = new CachingAllocator(raw);
        var e = Assert.Throws<CudaException>(() => a.Allocate(4096))!;
        Assert.That(e.StatusName, Is.EqualTo("CUDA_ERROR_OUT_OF_MEMORY"));
    }

    [Test]
    public void DoubleFreeIsAnError()
    {
        using var a = new CachingAllocator(new FakeRaw());
        var p = a.Allocate(10);
        a.Free(p, 10);
        Assert.Throws<InvalidOperationException>(() => a.Free(p, 10));
        Assert.DoesNotThrow(() => a.Free(0, 0));
    }

    [Test]
    public void DisposeReturnsEverythingEventually()
    {
        var raw = new FakeRaw();
        var a = new CachingAllocator(raw);
        var p = a.Allocate(100);
        var q = a.Allocate(100);
        a.Free(p, 100);
        a.Dispose();
        Assert.That(raw.Live, Has.Count.EqualTo(1));   // q still in use
        a.Free(q, 100);                                 // freed straight to the driver after dispose
        Assert.That(raw.Live, Is.Empty);
        Assert.Throws<ObjectDisposedException>(() => a.Allocate(1));
    }
}
