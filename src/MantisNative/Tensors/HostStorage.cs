using System.Runtime.InteropServices;

namespace MantisNative.Tensors;

/// <summary>
/// 64-byte-aligned native host memory, from <see cref="HostMemoryPool"/>. Disposal returns it at once; a
/// storage that is never disposed is returned by its finalizer, and fresh blocks report their size to the
/// GC so that forgotten intermediates do not pile up unseen. Shared by a tensor and its reshaped views
/// (reference counted).
/// </summary>
public sealed unsafe class HostStorage : IDisposable
{
    private void* _ptr;
    private int _refs = 1;
    private readonly long _capacity;
    private readonly bool _pressure;
    public long Bytes { get; }

    private static long _liveBytes, _peakLiveBytes;

    /// <summary>Bytes of host tensor memory held now (requested sizes, all threads).</summary>
    public static long LiveBytes => Interlocked.Read(ref _liveBytes);

    /// <summary>The most <see cref="LiveBytes"/> since the last <see cref="ResetPeak"/>: what a memory test measures.</summary>
    public static long PeakLiveBytes => Interlocked.Read(ref _peakLiveBytes);

    public static void ResetPeak() => Interlocked.Exchange(ref _peakLiveBytes, LiveBytes);

    /// <param name="zero">clear the memory (false only when the caller overwrites every byte)</param>
    public HostStorage(long bytes, bool zero = true)
    {
        Bytes = bytes;
        _ptr = HostMemoryPool.Rent(bytes, out _capacity, out bool fresh);
        if (zero) NativeMemory.Clear(_ptr, (nuint)Math.Max(bytes, 0));
        long live = Interlocked.Add(ref _liveBytes, Math.Max(bytes, 0));
        for (long peak = PeakLiveBytes; live > peak && Interlocked.CompareExchange(ref _peakLiveBytes, live, peak) != peak; peak = PeakLiveBytes) { }
        if (fresh && _capacity > 0)
        {
            GC.AddMemoryPressure(_capacity);
            _pressure = true;
        }
    }

    public void* Pointer => _ptr != null ? _ptr : throw new ObjectDisposedException(nameof(HostStorage), "tensor memory was already released");
    public bool IsDisposed => _ptr == null;

    internal void AddRef() => Interlocked.Increment(ref _refs);

    /// <summary>True when one tensor holds this memory (no view shares it).</summary>
    internal bool IsSoleOwner => Volatile.Read(ref _refs) == 1;

    /// <summary>Drops one reference; the memory goes back when the last one does.</summary>
    public void Dispose()
    {
        if (_ptr == null) return;
        if (Interlocked.Decrement(ref _refs) > 0) return;
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        var p = _ptr;
        _ptr = null;
        if (p == null) return;
        HostMemoryPool.Return(p, _capacity);
        Interlocked.Add(ref _liveBytes, -Math.Max(Bytes, 0));
        if (_pressure) GC.RemoveMemoryPressure(_capacity);
    }

    ~HostStorage() => Free();
}
