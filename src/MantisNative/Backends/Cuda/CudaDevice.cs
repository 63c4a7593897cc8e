using System.Text;
using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>What the driver says about one GPU.</summary>
internal sealed record CudaDeviceInfo(
    int Ordinal,
    string Name,
    int MultiprocessorCount,
    int ComputeMajor,
    int ComputeMinor,
    long TotalMemoryBytes,
    int MaxSharedMemoryPerBlockOptin,
    bool MemoryPoolsSupported)
{
    /// <summary>"sm_90" — the CUBIN architecture of this device.</summary>
    public string SmArch => $"sm_{ComputeMajor}{ComputeMinor}";
    public override string ToString() =>
        $"#{Ordinal} {Name} (sm_{ComputeMajor}{ComputeMinor}, {MultiprocessorCount} SMs, {TotalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB)";
}

/// <summary>Device enumeration and properties (the driver must be available: <see cref="CudaDriver.IsAvailable"/>).</summary>
internal static class CudaDevice
{
    public static int Count
    {
        get
        {
            CudaDriver.EnsureAvailable();
            CudaDriver.Check(CudaDriverApi.cuDeviceGetCount(out var n), "cuDeviceGetCount");
            return n;
        }
    }

    public static unsafe CudaDeviceInfo GetInfo(int ordinal)
    {
        CudaDriver.EnsureAvailable();
        var count = Count;
        if (ordinal < 0 || ordinal >= count)
            throw new MantisException($"CUDA device {ordinal} does not exist ({count} device(s) visible)");
        CudaDriver.Check(CudaDriverApi.cuDeviceGet(out var dev, ordinal), "cuDeviceGet");
        var nameBuf = stackalloc byte[256];
        CudaDriver.Check(CudaDriverApi.cuDeviceGetName(nameBuf, 256, dev), "cuDeviceGetName");
        var name = Encoding.UTF8.GetString(new ReadOnlySpan<byte>(nameBuf, 256)).TrimEnd('\0');
        int nul = name.IndexOf('\0');
        if (nul >= 0) name = name[..nul];
        CudaDriver.Check(CudaDriverApi.cuDeviceTotalMem(out var mem, dev), "cuDeviceTotalMem");
        return new CudaDeviceInfo(ordinal, name,
            Attribute(dev, CuDeviceAttribute.MultiprocessorCount),
            Attribute(dev, CuDeviceAttribute.ComputeCapabilityMajor),
            Attribute(dev, CuDeviceAttribute.ComputeCapabilityMinor),
            (long)mem,
            Attribute(dev, CuDeviceAttribute.MaxSharedMemoryPerBlockOptin),
            Attribute(dev, CuDeviceAttribute.MemoryPoolsSupported) != 0);
    }

    public static int Attribute(int device, CuDeviceAttribute attribute)
    {
        CudaDriver.Check(CudaDriverApi.cuDeviceGetAttribute(out var v, attribute, device), $"cuDeviceGetAttribute({attribute})");
        return v;
    }
}
