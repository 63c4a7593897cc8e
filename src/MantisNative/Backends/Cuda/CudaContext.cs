using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// One GPU in use: its retained primary context (shared with any other CUDA user in the process, e.g. a host
/// app's PyTorch), the compute stream and the allocator. Calls made from another thread must call
/// <see cref="MakeCurrent"/> first (the driver's current context is per thread).
/// </summary>
internal sealed class CudaContext : IDisposable
{
    private readonly PrimaryContextHandle _context;

    public CudaDeviceInfo Device { get; }
    public CudaStream Stream { get; }
    public IDeviceAllocator Allocator { get; }

    /// <summary>Synchronising host copies made through this context's buffers (see <see cref="SyncCopyCounter"/>).</summary>
    public SyncCopyCounter SyncCopies { get; } = new();

    /// <summary>The page-locked ring small uploads go through without a host wait (see <see cref="PinnedStagingRing"/>).</summary>
    public PinnedStagingRing Staging { get; }

    private CudaContext(CudaDeviceInfo device, PrimaryContextHandle context, CudaStream stream, IDeviceAllocator allocator)
    {
        Device = device;
        _context = context;
        Stream = stream;
        Allocator = allocator;
        Staging = new PinnedStagingRing(this);
    }

    /// <summary>Opens device <paramref name="ordinal"/>; uses stream-ordered allocation where the device has memory
    /// pools, a caching allocator otherwise.</summary>
    public static CudaContext Create(int ordinal = 0, bool preferStreamOrdered = true)
    {
        var info = CudaDevice.GetInfo(ordinal);
        CudaDriver.Check(CudaDriverApi.cuDeviceGet(out var dev, ordinal), "cuDeviceGet");
        CudaDriver.Check(CudaDriverApi.cuDevicePrimaryCtxRetain(out var ctx, dev), "cuDevicePrimaryCtxRetain");
        var handle = new PrimaryContextHandle(ctx, dev);
        CudaStream? stream = null;
        try
        {
            CudaDriver.Check(CudaDriverApi.cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
            stream = new CudaStream();
            IDeviceAllocator alloc = preferStreamOrdered && info.MemoryPoolsSupported
                ? new StreamOrderedAllocator(stream, dev)
                : new CachingAllocator(new DriverDeviceMemory());
            return new CudaContext(info, handle, stream, alloc);
        }
        catch
        {
            stream?.Dispose();
            handle.Dispose();
            throw;
        }
    }

    /// <summary>True after Dispose: buffers disposed later leave their memory to the context teardown.</summary>
    public bool IsDisposed => _context.IsClosed;

    public void MakeCurrent() => CudaDriver.Check(CudaDriverApi.cuCtxSetCurrent(_context.DangerousGetHandle()), "cuCtxSetCurrent");

    public void Synchronize() => Stream.Synchronize();

    public DeviceBuffer Allocate(long bytes) => new(this, bytes);

    /// <summary>Free and total device memory in bytes.</summary>
    public (long Free, long Total) MemoryInfo()
    {
        CudaDriver.Check(CudaDriverApi.cuMemGetInfo(out var free, out var total), "cuMemGetInfo");
        return ((long)free, (long)total);
    }

    public void Dispose()
    {
        if (_context.IsClosed) return;
        try { Stream.Synchronize(); } catch (CudaException) { /* a failed kernel must not block teardown */ }
        Staging.Dispose();
        Allocator.Dispose();
        Stream.Dispose();
        _context.Dispose();
    }
}
