using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// cuMemAllocAsync / cuMemFreeAsync on the compute stream, from the device's default memory pool. The pool's
/// release threshold is raised to "keep everything" so freed memory stays in the pool between steps instead of
/// going back to the OS at each synchronization (the driver's default threshold is 0).
/// </summary>
internal sealed unsafe class StreamOrderedAllocator : IDeviceAllocator
{
    private readonly CudaStream _stream;
    private long _inUse;

    public StreamOrderedAllocator(CudaStream stream, int device)
    {
        _stream = stream;
        CudaDriver.Check(CudaDriverApi.cuDeviceGetDefaultMemPool(out var pool, device), "cuDeviceGetDefaultMemPool");
        ulong threshold = ulong.MaxValue;
        CudaDriver.Check(CudaDriverApi.cuMemPoolSetAttribute(pool, CuMemPoolAttribute.ReleaseThreshold, &threshold), "cuMemPoolSetAttribute");
    }

    private long _peak;

    public long BytesInUse => Interlocked.Read(ref _inUse);
    public long PeakBytesInUse => Interlocked.Read(ref _peak);

    public void ResetPeak() => Interlocked.Exchange(ref _peak, BytesInUse);

    public ulong Allocate(long bytes)
    {
        CudaDriver.Check(CudaDriverApi.cuMemAllocAsync(out var p, (nuint)Math.Max(bytes, 1), _stream.Handle), "cuMemAllocAsync");
        long now = Interlocked.Add(ref _inUse, bytes);
        for (long peak = Interlocked.Read(ref _peak); now > peak; peak = Interlocked.Read(ref _peak))
            if (Interlocked.CompareExchange(ref _peak, now, peak) == peak) break;
        return p;
    }

    public void Free(ulong pointer, long bytes)
    {
        if (pointer == 0) return;
        CudaDriver.Check(CudaDriverApi.cuMemFreeAsync(pointer, _stream.Handle), "cuMemFreeAsync");
        Interlocked.Add(ref _inUse, -bytes);
    }

    public void Dispose() { }
}
