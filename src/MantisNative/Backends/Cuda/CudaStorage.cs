using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// A tensor's device memory: one <see cref="DeviceBuffer"/> shared by a tensor and its views (reference counted).
/// A storage nobody disposed (an inference intermediate, as on the host) is reclaimed after the GC finds it: the
/// finalizer cannot call CUDA (wrong thread, no current context), so it hands the buffer to the backend, which frees
/// it on its own thread at the next allocation.
/// </summary>
internal sealed class CudaStorage : IDeviceStorage
{
    private readonly CudaBackend _backend;
    private readonly DeviceBuffer _buffer;
    private int _refs = 1;

    internal CudaStorage(CudaBackend backend, DeviceBuffer buffer, long bytes)
    {
        _backend = backend;
        _buffer = buffer;
        Bytes = bytes;
    }

    public Device Device => _backend.Device;
    public long Bytes { get; }
    public DeviceBuffer Buffer => _buffer;
    public ulong Pointer => _buffer.Pointer;

    public void AddRef() => Interlocked.Increment(ref _refs);

    public void Dispose()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        _buffer.Dispose();
        GC.SuppressFinalize(this);
    }

    ~CudaStorage() => _backend.FreeLater(_buffer);
}
