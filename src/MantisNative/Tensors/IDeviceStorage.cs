namespace MantisNative.Tensors;

/// <summary>
/// Memory of a tensor that lives on a device other than the host. Implemented by a backend (Backends/Cuda) so
/// that Tensors stays free of any backend: a tensor only needs the device, the size, the raw device address and
/// reference counting (reshaped views share one storage).
/// </summary>
public interface IDeviceStorage : IDisposable
{
    Device Device { get; }
    long Bytes { get; }

    /// <summary>The device address (a CUdeviceptr on CUDA).</summary>
    ulong Pointer { get; }

    /// <summary>One more owner; each owner calls Dispose once.</summary>
    void AddRef();
}
