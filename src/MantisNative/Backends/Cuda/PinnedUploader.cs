using MantisNative.Interop;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// Uploads host floats as a BF16 device tensor without stopping the host or the compute stream: the values are
/// converted into page-locked host memory (cuMemHostAlloc), the destination is allocated in compute-stream order,
/// and the copy runs on a second stream that waits only for that allocation. <see cref="Ready"/> makes the compute
/// stream wait for the copy (an event, no host wait). Two pinned buffers alternate, so the host fills one while the
/// other's copy may still run; a buffer is refilled only after its previous copy finished.
/// </summary>
internal sealed unsafe class PinnedUploader : IDisposable
{
    /// <summary>An upload under way: the tensor is valid on the compute stream once <see cref="Ready"/> returned it.</summary>
    public sealed class Pending
    {
        internal Pending(Tensor tensor, CudaEvent done) => (Tensor, Done) = (tensor, done);
        internal Tensor Tensor { get; }
        internal CudaEvent Done { get; }
        internal bool Taken { get; set; }
    }

    private readonly CudaBackend _be;
    private readonly CudaStream _copy = new();
    private readonly (nint Host, long Bytes, CudaEvent Done)[] _slots = new (nint, long, CudaEvent)[2];
    private readonly CudaEvent _allocated = new(timing: false);
    private int _next;

    public PinnedUploader(CudaBackend backend)
    {
        _be = backend;
        for (int i = 0; i < _slots.Length; i++) _slots[i] = (0, 0, new CudaEvent(timing: false));
    }

    /// <summary>Bytes of page-locked host memory held (both buffers).</summary>
    public long PinnedBytes => _slots.Sum(s => s.Bytes);

    /// <summary>Starts the upload of <paramref name="values"/> (shape <paramref name="shape"/>) as BF16 (rounded to nearest even, as Tensor.To).</summary>
    public Pending Start(ReadOnlySpan<float> values, Shape shape)
    {
        if (values.Length != shape.Numel) throw new ArgumentException($"{values.Length} values for shape {shape}");
        _be.Context.MakeCurrent();
        ref var slot = ref _slots[_next];
        _next = (_next + 1) % _slots.Length;
        long bytes = Math.Max(2L * values.Length, 2);
        slot.Done.Synchronize();   // this buffer's previous copy (two uploads ago) has finished reading it
        if (slot.Bytes < bytes)
        {
            if (slot.Host != 0) CudaDriver.Check(CudaDriverApi.cuMemFreeHost(slot.Host), "cuMemFreeHost");
            slot.Host = 0;
            slot.Bytes = 0;
            CudaDriver.Check(CudaDriverApi.cuMemHostAlloc(out var p, (nuint)bytes, 0), "cuMemHostAlloc");
            (slot.Host, slot.Bytes) = (p, bytes);
        }
        FloatConversion.ToBFloat16(values, new Span<ushort>((void*)slot.Host, values.Length));
        var tensor = Tensor.EmptyOn(_be.Device, shape, DType.BF16);
        try
        {
            _allocated.Record(_be.Context.Stream);   // the memory is ours once the compute stream passed its allocation
            _copy.Wait(_allocated);
            if (values.Length > 0)
                CudaDriver.Check(CudaDriverApi.cuMemcpyHtoDAsync(tensor.DevicePointer, (void*)slot.Host, (nuint)(2L * values.Length), _copy.Handle), "cuMemcpyHtoDAsync");
            slot.Done.Record(_copy);
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
        return new Pending(tensor, slot.Done);
    }

    /// <summary>The uploaded tensor, ordered after its copy on the compute stream (the host does not wait). The caller owns it.</summary>
    public Tensor Ready(Pending pending)
    {
        if (pending.Taken) throw new InvalidOperationException("this upload was already taken");
        pending.Taken = true;
        _be.Context.Stream.Wait(pending.Done);
        return pending.Tensor;
    }

    public void Dispose()
    {
        try { _copy.Synchronize(); } catch (CudaException) { /* a faulted context must not block teardown */ }
        foreach (var s in _slots)
        {
            if (s.Host != 0) CudaDriverApi.cuMemFreeHost(s.Host);
            s.Done.Dispose();
        }
        _allocated.Dispose();
        _copy.Dispose();
    }
}
