namespace MantisNative.Tensors;

/// <summary>
/// What Tensor needs from a device backend: memory, explicit host copies, device copies and gradient
/// accumulation. Backends register themselves in <see cref="DeviceBackends"/>; ops find their backend through it.
/// </summary>
public interface IDeviceBackend
{
    Device Device { get; }

    /// <summary>New memory, zeroed when <paramref name="zero"/> (false only when every byte gets written).</summary>
    IDeviceStorage Allocate(long bytes, bool zero);

    /// <summary>Host to device: on return the host may reuse <paramref name="source"/>, and device work queued after the
    /// call sees the data (the copy itself may still be under way: a small one is staged in page-locked memory).</summary>
    void Upload(ReadOnlySpan<byte> source, IDeviceStorage destination);

    /// <summary>Device to host; waits for the work queued before it.</summary>
    void Download(IDeviceStorage source, Span<byte> destination);

    /// <summary>Device to device copy of <paramref name="bytes"/> bytes.</summary>
    void Copy(IDeviceStorage source, IDeviceStorage destination, long bytes);

    /// <summary>dst = src converted to dst's dtype (F32 and BF16 both ways; same shape, both on this device).</summary>
    void Cast(Tensor source, Tensor destination);

    /// <summary>dst += src elementwise (same shape, both on this device; dtypes F32 or BF16 in any mix).</summary>
    void AddInto(Tensor destination, Tensor source);

    /// <summary>Fills the first <paramref name="words"/> 32-bit words with <paramref name="pattern"/>, queued on the
    /// device (no host copy: how a constant such as a backward's seed reaches the device inside a step).</summary>
    void Fill32(IDeviceStorage destination, uint pattern, long words);
}
