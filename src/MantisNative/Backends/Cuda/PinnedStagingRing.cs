using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// Small host-to-device uploads without a host wait: the bytes are copied into one page-locked (cuMemHostAlloc)
/// ring and copied from there with cuMemcpyHtoDAsync on the compute stream, so the host returns at once and every
/// kernel queued later sees the data (stream order). The host may only rewrite ring bytes a copy has read, so each
/// copy records an event behind it, and a region is reused only after the events of the copies that read it
/// completed: in steady state those copies ran long ago and the check costs nothing; the host waits only when it is a
/// whole ring (or <see cref="MaxInFlight"/> copies) ahead of the device, which bounds how far it may run ahead.
/// Compare <see cref="DeviceBuffer.CopyFrom{T}"/>: pageable memory, so it must wait for the stream before returning.
/// Uploads above <see cref="MaxUpload"/> bytes (weights when a model moves) are left to that synchronous path, so the
/// ring stays small. One ring per context, used from the thread that drives the compute stream (a lock keeps a
/// second thread from corrupting it, not from reordering).
/// </summary>
internal sealed unsafe class PinnedStagingRing : IDisposable
{
    /// <summary>Start of every staged copy in the ring (a cache line and more; the copy engine likes aligned sources).</summary>
    public const long Alignment = 256;

    /// <summary>The first ring's size; it doubles when one upload does not fit.</summary>
    public const long InitialCapacity = 1L << 20;

    /// <summary>Largest upload staged here (the ring grows to twice the largest): a step's ids, masks, targets and optimizer
    /// tables are far below, a decoder's RoPE tables by position at 8k positions and head dim 128 are 2 MiB each.</summary>
    public const long MaxUpload = 4L << 20;

    /// <summary>Copies allowed in flight before the host waits for the oldest (bounds the events held).</summary>
    public const int MaxInFlight = 256;

    private readonly CudaContext _ctx;
    private readonly object _gate = new();
    private readonly Queue<(long Start, long End, CudaEvent Done)> _inFlight = new();
    private readonly Stack<CudaEvent> _spare = new();
    private nint _host;
    private long _capacity, _head;
    private bool _disposed;

    public PinnedStagingRing(CudaContext context) => _ctx = context;

    /// <summary>Uploads staged so far.</summary>
    public long Staged { get; private set; }

    /// <summary>Times the host had to wait for a copy before reusing its bytes (ring full or too many in flight).</summary>
    public long Waits { get; private set; }

    /// <summary>Times the ring wrapped around to its start.</summary>
    public long Wraps { get; private set; }

    /// <summary>Bytes of page-locked memory held.</summary>
    public long Capacity => _capacity;

    /// <summary>
    /// Queues the copy of <paramref name="source"/> to <paramref name="destination"/> on the compute stream and returns
    /// without waiting for it; false (nothing done) when the upload is larger than <see cref="MaxUpload"/>.
    /// <paramref name="source"/> may be reused as soon as this returns (its bytes are in the ring).
    /// </summary>
    public bool TryUpload(ReadOnlySpan<byte> source, ulong destination)
    {
        long n = source.Length;
        if (n > MaxUpload) return false;
        if (n == 0) return true;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            long size = (n + Alignment - 1) / Alignment * Alignment;
            if (size > _capacity) Grow(size);
            if (_head + size > _capacity)
            {
                _head = 0;   // wrap: the tail [head, capacity) stays unused this lap
                Wraps++;
            }
            long start = _head, end = start + size;
            while (_inFlight.Count >= MaxInFlight || Overlaps(start, end)) RetireOldest();
            source.CopyTo(new Span<byte>((void*)(_host + (nint)start), source.Length));
            CudaDriver.Check(CudaDriverApi.cuMemcpyHtoDAsync(destination, (void*)(_host + (nint)start), (nuint)n, _ctx.Stream.Handle), "cuMemcpyHtoDAsync");
            var done = _spare.Count > 0 ? _spare.Pop() : new CudaEvent(timing: false);
            done.Record(_ctx.Stream);
            _inFlight.Enqueue((start, end, done));
            _head = end;
            Staged++;
            return true;
        }
    }

    private bool Overlaps(long start, long end)
    {
        foreach (var c in _inFlight)
            if (c.Start < end && start < c.End) return true;
        return false;
    }

    /// <summary>Waits for the oldest copy in flight (an event wait, not a stream drain) and frees its bytes.</summary>
    private void RetireOldest()
    {
        var c = _inFlight.Dequeue();
        Waits++;
        c.Done.Synchronize();
        _spare.Push(c.Done);
    }

    /// <summary>A larger ring: the copies reading the old one finish first (once per size, early in a run).</summary>
    private void Grow(long size)
    {
        while (_inFlight.Count > 0) RetireOldest();
        long capacity = Math.Max(InitialCapacity, _capacity * 2);
        if (_host != 0) CudaDriver.Check(CudaDriverApi.cuMemFreeHost(_host), "cuMemFreeHost");
        _host = 0;
        _capacity = 0;
        while (capacity < 2 * size) capacity *= 2;   // room for two such uploads before a wrap waits
        CudaDriver.Check(CudaDriverApi.cuMemHostAlloc(out var p, (nuint)capacity, 0), "cuMemHostAlloc");
        (_host, _capacity, _head) = (p, capacity, 0);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            try
            {
                while (_inFlight.Count > 0) RetireOldest();
            }
            catch (CudaException) { /* a faulted context must not block teardown */ }
            foreach (var c in _inFlight) c.Done.Dispose();
            while (_spare.Count > 0) _spare.Pop().Dispose();
            if (_host != 0) CudaDriverApi.cuMemFreeHost(_host);
            _host = 0;
        }
    }
}
