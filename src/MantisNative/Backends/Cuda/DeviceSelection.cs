using MantisNative.Interop;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

/// <summary>What the machine offers: the CLI's `--device` choice is resolved against it (a fake one in tests).</summary>
internal interface IGpuProbe
{
    /// <summary>Null when CUDA devices can be used, else why not (no driver, no device, no NVRTC).</summary>
    string? UnavailableReason { get; }
    int DeviceCount { get; }
}

/// <summary>The real machine: the driver, its device count and NVRTC (kernels are compiled at run time).</summary>
internal sealed class DriverGpuProbe : IGpuProbe
{
    public string? UnavailableReason =>
        !CudaDriver.IsAvailable ? $"no usable CUDA driver: {CudaDriver.UnavailableReason}"
        : DeviceCount == 0 ? "the CUDA driver sees no device"
        : !Nvrtc.IsAvailable ? $"NVRTC not found: {Nvrtc.UnavailableReason}"
        : null;

    public int DeviceCount => CudaDriver.IsAvailable ? CudaDevice.Count : 0;
}

/// <summary>Resolves `--device cpu|cuda[:N]|auto`.</summary>
internal static class DeviceSelection
{
    /// <summary>auto: cuda:0 when a driver and a device exist, else cpu. cuda[:N] where there is none is an error with the reason.</summary>
    public static Device Resolve(string? spec, IGpuProbe probe)
    {
        var s = string.IsNullOrWhiteSpace(spec) ? "cpu" : spec.Trim().ToLowerInvariant();
        if (s == "auto") return probe.UnavailableReason is null ? Device.Cuda(0) : Device.Cpu;
        var d = Device.Parse(s);
        if (d.IsCpu) return d;
        if (probe.UnavailableReason is { } why) throw new MantisException($"--device {s}: {why.Split('\n')[0].Trim()}");
        if (d.Ordinal >= probe.DeviceCount)
            throw new MantisException($"--device {s}: CUDA device {d.Ordinal} does not exist ({probe.DeviceCount} visible)");
        return d;
    }

    /// <summary>Opens the backend for a CUDA device (and wires lazy opening); nothing for the CPU.</summary>
    public static void Prepare(Device device)
    {
        if (device.IsCpu) return;
        CudaBackend.Install();
        DeviceBackends.Get(device);
    }
}
