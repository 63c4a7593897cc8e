namespace MantisNative.Tensors;

/// <summary>Where a tensor's memory lives.</summary>
public enum DeviceKind { Cpu, Cuda }

/// <summary>
/// A place for tensor memory: the host (<see cref="Cpu"/>) or one CUDA GPU by ordinal. Ops run on the device of
/// their inputs; moving data between devices is always an explicit <see cref="Tensor.To(Device, DType?)"/>.
/// </summary>
public readonly record struct Device(DeviceKind Kind, int Ordinal)
{
    public static Device Cpu => new(DeviceKind.Cpu, 0);
    public static Device Cuda(int ordinal = 0) =>
        ordinal >= 0 ? new(DeviceKind.Cuda, ordinal) : throw new ArgumentOutOfRangeException(nameof(ordinal));

    public bool IsCpu => Kind == DeviceKind.Cpu;
    public bool IsCuda => Kind == DeviceKind.Cuda;

    /// <summary>The dtype floating tensors take on this device: F32 on the host, BF16 on a GPU (fp32 math inside the kernels).</summary>
    public DType ComputeType => IsCuda ? DType.BF16 : DType.F32;

    public override string ToString() => IsCpu ? "cpu" : $"cuda:{Ordinal}";

    /// <summary>Parses "cpu", "cuda" (ordinal 0) or "cuda:N". "auto" is a CLI choice, resolved by the caller.</summary>
    public static Device Parse(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        if (s == "cpu") return Cpu;
        if (s == "cuda" || s == "gpu") return Cuda(0);
        if (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), out int n) && n >= 0) return Cuda(n);
        throw new MantisException($"unknown device '{text}' (expected cpu, cuda, cuda:N or auto)");
    }
}
