namespace MantisNative.Tensors;

/// <summary>
/// The registry of device backends, one per device. The CUDA backend registers itself when first opened; a test
/// may register a fake one to exercise device dispatch on a machine without a GPU.
/// </summary>
public static class DeviceBackends
{
    private static readonly Dictionary<Device, IDeviceBackend> Backends = new();

    public static void Register(IDeviceBackend backend)
    {
        lock (Backends) Backends[backend.Device] = backend;
    }

    public static void Unregister(Device device)
    {
        lock (Backends) Backends.Remove(device);
    }

    /// <summary>The backend of <paramref name="device"/>, or null when none is open.</summary>
    public static IDeviceBackend? Find(Device device)
    {
        lock (Backends) return Backends.GetValueOrDefault(device);
    }

    /// <summary>The backend of <paramref name="device"/>, opening it through the factory when one is set.</summary>
    public static IDeviceBackend Get(Device device)
    {
        if (device.IsCpu) throw new InvalidOperationException("the host has no device backend");
        var b = Find(device);
        if (b is not null) return b;
        var open = Opener ?? throw new MantisException($"no backend for {device}: CUDA support is not loaded");
        b = open(device);
        Register(b);
        return b;
    }

    /// <summary>Opens a backend for a device on first use (set by Backends/Cuda).</summary>
    public static Func<Device, IDeviceBackend>? Opener { get; set; }
}
