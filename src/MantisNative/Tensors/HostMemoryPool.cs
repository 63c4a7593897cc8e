using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.InteropServices;

namespace MantisNative.Tensors;

/// <summary>
/// Reuses freed host blocks by power-of-two size class. A training step allocates and frees the same activation
/// sizes every time; fresh 64-byte-aligned blocks of megabytes come from mmap and fault in page by page, which
/// costs more than the math of a small op. Keeps at most <see cref="MaxCachedBytes"/> in reserve.
/// </summary>
internal static unsafe class HostMemoryPool
{
    private const int MinPooledBytes = 64 * 1024;
    /// <summary>2 GB by default; MANTIS_HOST_POOL_MB sets it (a big model's step on a small machine wants less held
    /// in reserve: freed blocks of every size class stay resident up to this cap).</summary>
    public static long MaxCachedBytes { get; set; } = FromEnvironment();

    private static long FromEnvironment()
    {
        var v = Environment.GetEnvironmentVariable("MANTIS_HOST_POOL_MB");
        if (string.IsNullOrWhiteSpace(v)) return 2L << 30;
        if (!long.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long mb))
            throw new MantisException($"MANTIS_HOST_POOL_MB: expected a whole number of megabytes, got '{v}'");
        return mb << 20;
    }
    private static readonly ConcurrentBag<nint>[] Buckets = Enumerable.Range(0, 64).Select(_ => new ConcurrentBag<nint>()).ToArray();
    private static long _cached;

    /// <summary>Bytes actually reserved for a request (a whole size class for pooled sizes).</summary>
    public static long Capacity(long bytes) => bytes < MinPooledBytes ? Math.Max(bytes, 64) : (long)BitOperations.RoundUpToPowerOf2((ulong)bytes);

    public static void* Rent(long bytes, out long capacity, out bool fresh)
    {
        capacity = Capacity(bytes);
        if (capacity >= MinPooledBytes && Buckets[BitOperations.Log2((ulong)capacity)].TryTake(out var p))
        {
            Interlocked.Add(ref _cached, -capacity);
            fresh = false;
            return (void*)p;
        }
        fresh = true;
        return NativeMemory.AlignedAlloc((nuint)capacity, 64);
    }

    public static void Return(void* p, long capacity)
    {
        if (capacity >= MinPooledBytes && Interlocked.Add(ref _cached, capacity) <= MaxCachedBytes)
        {
            Buckets[BitOperations.Log2((ulong)capacity)].Add((nint)p);
            return;
        }
        if (capacity >= MinPooledBytes) Interlocked.Add(ref _cached, -capacity);
        NativeMemory.AlignedFree(p);
    }
}
