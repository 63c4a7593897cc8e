using MantisNative.Backends.Cuda;
using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>Resolves a training config's device (cpu, cuda, cuda:N, auto) against the machine.</summary>
public static class TrainingDevices
{
    /// <summary>The device to train on; <paramref name="note"/> says which and, for auto, why.</summary>
    public static Device Resolve(string spec, out string note)
    {
        var probe = new DriverGpuProbe();
        bool auto = spec.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase);
        // the probe loads the driver: a plain cpu run never touches it
        if (!auto && Device.Parse(spec).IsCpu) { note = "cpu"; return Device.Cpu; }
        var device = DeviceSelection.Resolve(spec, probe);
        note = auto
            ? device.IsCpu ? $"cpu (auto: {probe.UnavailableReason?.Split('\n')[0].Trim() ?? "no GPU"})" : $"{device} (auto: a GPU is present)"
            : device.ToString();
        if (device.IsCuda) note += $": {CudaDevice.GetInfo(device.Ordinal).Name}";
        return device;
    }
}
