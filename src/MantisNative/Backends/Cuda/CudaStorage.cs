using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

/// <summary>A tensor's device memory: one <see cref="DeviceBuffer"/> shared by a tensor and its views (reference counted).</summary>
public sealed class CudaStorage : IDeviceStorage
{
    private readonly DeviceBuffer _buffer;
    private int _refs = 1;

    public CudaStorage(Device device, DeviceBuffer buffer, long bytes)
    {
        Device = device;
        _buffer = buffer;
        Bytes = bytes;
    }

    public Device Device { get; }
    public long Bytes { get; }
    public DeviceBuffer Buffer => _buffer;
    public ulong Pointer => _buffer.Pointer;

    public void AddRef() => Interlocked.Increment(ref _refs);

    public void Dispose()
    {
        if (Interlocked.Decrement(ref _refs) == 0) _buffer.Dispose();
    }
}
