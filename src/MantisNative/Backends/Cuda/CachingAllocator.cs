using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// A caching allocator over cuMemAlloc/cuMemFree for drivers or devices without memory pools: a freed block
/// goes to a free list for its rounded size and is handed out again, so a training step allocates nothing from
/// the driver after the first one (cuMemAlloc/cuMemFree synchronize the device). Sizes round up to 512 bytes
/// below 1 MiB and to 2 MiB above, which keeps the number of distinct sizes small. When the driver is out of
/// memory, every cached block is released and the allocation is tried once more.
/// Single compute stream only (see <see cref="IDeviceAllocator"/>); not thread-safe beyond a lock per call.
/// </summary>
internal sealed class CachingAllocator : IDeviceAllocator
{
    public const long SmallGranule = 512;
    public const long LargeGranule = 2 * 1024 * 1024;
    public const long SmallLimit = 1024 * 1024;

    private readonly IRawDeviceMemory _raw;
    private readonly Dictionary<long, Stack<ulong>> _free = new();
    private readonly Dictionary<ulong, long> _live = new();
    private readonly object _gate = new();
    private bool _disposed;

    public CachingAllocator(IRawDeviceMemory raw) => _raw = raw;

    public long BytesInUse { get; private set; }
    public long PeakBytesInUse { get; private set; }

    public void ResetPeak()
    {
        lock (_gate) PeakBytesInUse = BytesInUse;
    }
    /// <summary>Bytes held in free lists (allocated from the driver, not in use).</summary>
    public long BytesCached { get; private set; }

    public static long RoundSize(long bytes)
    {
        if (bytes <= 0) return SmallGranule;
        long g = bytes < SmallLimit ? SmallGranule : LargeGranule;
        return (bytes + g - 1) / g * g;
    }

    public ulong Allocate(long bytes)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var size = RoundSize(bytes);
            if (_free.TryGetValue(size, out var stack) && stack.Count > 0)
            {
                var p = stack.Pop();
                BytesCached -= size;
                return Track(p, size);
            }
            ulong ptr;
            try { ptr = _raw.Allocate(size); }
            catch (CudaException e) when (e.Status == (int)CuResult.OutOfMemory && BytesCached > 0)
            {
                ReleaseCached();
                ptr = _raw.Allocate(size);
            }
            return Track(ptr, size);
        }
    }

    private ulong Track(ulong p, long size)
    {
        _live[p] = size;
        BytesInUse += size;
        PeakBytesInUse = Math.Max(PeakBytesInUse, BytesInUse);
        return p;
    }

    public void Free(ulong pointer, long bytes)
    {
        if (pointer == 0) return;
        lock (_gate)
        {
            if (!_live.Remove(pointer, out var size))
                throw new InvalidOperationException($"device pointer 0x{pointer:x} was not allocated here (or freed twice)");
            BytesInUse -= size;
            if (_disposed) { _raw.Free(pointer); return; }
            if (!_free.TryGetValue(size, out var stack)) _free[size] = stack = new Stack<ulong>();
            stack.Push(pointer);
            BytesCached += size;
        }
    }

    /// <summary>Returns every cached (free) block to the driver.</summary>
    public void ReleaseCached()
    {
        lock (_gate)
        {
            foreach (var stack in _free.Values)
                while (stack.Count > 0) _raw.Free(stack.Pop());
            _free.Clear();
            BytesCached = 0;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            ReleaseCached();
            // Blocks still in use are freed when their buffers are disposed (Free sees _disposed).
            _disposed = true;
        }
    }
}

/// <summary>cuMemAlloc / cuMemFree.</summary>
internal sealed class DriverDeviceMemory : IRawDeviceMemory
{
    public ulong Allocate(long bytes)
    {
        CudaDriver.Check(CudaDriverApi.cuMemAlloc(out var p, (nuint)bytes), "cuMemAlloc");
        return p;
    }

    public void Free(ulong pointer) => CudaDriver.Check(CudaDriverApi.cuMemFree(pointer), "cuMemFree");
}
