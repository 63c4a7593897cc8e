using System.Runtime.InteropServices;
using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// A block of device memory owned by one <see cref="CudaContext"/> (freed, stream-ordered, on Dispose), with
/// host copies. Copies are explicit calls, never implicit; a host copy waits for the stream, because the host
/// span is only guaranteed to live for the call (pageable memory).
/// </summary>
internal sealed class DeviceBuffer : IDisposable
{
    private readonly CudaContext _context;
    private ulong _pointer;

    public long Bytes { get; }

    public DeviceBuffer(CudaContext context, long bytes)
    {
        if (bytes < 0) throw new ArgumentOutOfRangeException(nameof(bytes));
        _context = context;
        Bytes = bytes;
        _pointer = context.Allocator.Allocate(bytes);
    }

    /// <summary>The CUdeviceptr; throws after Dispose.</summary>
    public ulong Pointer => _pointer != 0 ? _pointer : throw new ObjectDisposedException(nameof(DeviceBuffer));

    public static DeviceBuffer FromHost<T>(CudaContext context, ReadOnlySpan<T> data) where T : unmanaged
    {
        var b = new DeviceBuffer(context, (long)data.Length * Marshal.SizeOf<T>());
        try { b.CopyFrom(data); }
        catch { b.Dispose(); throw; }
        return b;
    }

    /// <summary>Host to device, at the start of the buffer (float, ushort for bf16 bits, int, ...).</summary>
    public unsafe void CopyFrom<T>(ReadOnlySpan<T> source) where T : unmanaged
    {
        long bytes = (long)source.Length * sizeof(T);
        CheckFits(bytes);
        if (bytes == 0) return;
        fixed (T* p = source)
        {
            CudaDriver.Check(CudaDriverApi.cuMemcpyHtoDAsync(Pointer, p, (nuint)bytes, _context.Stream.Handle), "cuMemcpyHtoDAsync");
            _context.Stream.Synchronize();
            _context.SyncCopies.Upload();
        }
    }

    /// <summary>Device to host, from the start of the buffer; waits for the stream (earlier kernels included).</summary>
    public unsafe void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        long bytes = (long)destination.Length * sizeof(T);
        CheckFits(bytes);
        if (bytes == 0) return;
        fixed (T* p = destination)
        {
            CudaDriver.Check(CudaDriverApi.cuMemcpyDtoHAsync(p, Pointer, (nuint)bytes, _context.Stream.Handle), "cuMemcpyDtoHAsync");
            _context.Stream.Synchronize();
            _context.SyncCopies.Read();
        }
    }

    public void CopyFrom(ReadOnlySpan<float> source) => CopyFrom<float>(source);
    public void CopyFrom(ReadOnlySpan<ushort> source) => CopyFrom<ushort>(source);
    public void CopyTo(Span<float> destination) => CopyTo<float>(destination);
    public void CopyTo(Span<ushort> destination) => CopyTo<ushort>(destination);

    /// <summary>Device to device on the stream (asynchronous).</summary>
    public void CopyFrom(DeviceBuffer source, long bytes)
    {
        CheckFits(bytes);
        if (bytes > source.Bytes) throw new ArgumentException($"copy of {bytes} bytes from a {source.Bytes}-byte buffer");
        CudaDriver.Check(CudaDriverApi.cuMemcpyDtoDAsync(Pointer, source.Pointer, (nuint)bytes, _context.Stream.Handle), "cuMemcpyDtoDAsync");
    }

    /// <summary>Zeroes the buffer on the stream (asynchronous).</summary>
    public void Clear() =>
        CudaDriver.Check(CudaDriverApi.cuMemsetD8Async(Pointer, 0, (nuint)Bytes, _context.Stream.Handle), "cuMemsetD8Async");

    /// <summary>Fills with a 32-bit pattern (e.g. NaN bits to poison an output before a check).</summary>
    public void Fill32(uint pattern) => Fill32(pattern, Bytes / 4);

    /// <summary>Fills the first <paramref name="words"/> 32-bit words on the stream (asynchronous).</summary>
    public void Fill32(uint pattern, long words)
    {
        CheckFits(words * 4);
        CudaDriver.Check(CudaDriverApi.cuMemsetD32Async(Pointer, pattern, (nuint)words, _context.Stream.Handle), "cuMemsetD32Async");
    }

    private void CheckFits(long bytes)
    {
        if (bytes > Bytes) throw new ArgumentException($"{bytes} bytes do not fit a {Bytes}-byte device buffer");
    }

    public void Dispose()
    {
        var p = _pointer;
        if (p == 0) return;
        _pointer = 0;
        // After the context is gone its stream and allocator are too; the memory went with the teardown.
        if (_context.IsDisposed) return;
        _context.Allocator.Free(p, Bytes);
    }
}
