using MantisNative.Backends.Cpu;
using NUnit.Framework;

namespace MantisNative.Tests.Cpu;

public class CpuParallelTests
{
    [Test]
    public void ForRunsEveryIndexOnceAndNestsInline()
    {
        var hits = new int[1000];
        CpuParallel.For(hits.Length, i =>
        {
            Interlocked.Increment(ref hits[i]);
            CpuParallel.For(3, _ => { }); // nested: runs inline, must not deadlock
        });
        Assert.That(hits, Is.All.EqualTo(1));
    }

    /// <summary>Many back-to-back fork-joins: For must not return while a worker is still inside the body.</summary>
    [Test]
    public void ForReturnsOnlyAfterEveryIndexRan()
    {
        var hits = new int[16];
        for (int round = 1; round <= 3000; round++)
        {
            CpuParallel.For(hits.Length, i => { if (i % 5 == 0) Thread.SpinWait(20); hits[i]++; });
            for (int i = 0; i < hits.Length; i++)
                if (hits[i] != round) Assert.Fail($"round {round}: index {i} ran {hits[i]} times when For returned");
        }
    }

    [Test]
    public void ForRangeCoversTheRange()
    {
        long sum = 0;
        CpuParallel.ForRange(10_001, 7, (s, e) => { long t = 0; for (int i = s; i < e; i++) t += i; Interlocked.Add(ref sum, t); });
        Assert.That(sum, Is.EqualTo(10_000L * 10_001 / 2));
    }

    [Test]
    public void ExceptionsPropagateAndThePoolSurvives()
    {
        Assert.Throws<InvalidOperationException>(() => CpuParallel.For(100, i => { if (i == 57) throw new InvalidOperationException("boom"); }));
        int count = 0;
        CpuParallel.For(100, _ => Interlocked.Increment(ref count));
        Assert.That(count, Is.EqualTo(100));
    }

    [Test]
    public void ConcurrentCallersBothComplete()
    {
        int total = 0;
        Parallel.For(0, 4, _ =>
        {
            for (int r = 0; r < 50; r++) CpuParallel.For(16, __ => Interlocked.Increment(ref total));
        });
        Assert.That(total, Is.EqualTo(4 * 50 * 16));
    }
}
