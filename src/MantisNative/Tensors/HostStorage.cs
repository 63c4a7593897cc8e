using System.Runtime.InteropServices;

namespace MantisNative.Tensors;

/// <summary>
/// 64-byte-aligned native host memory, zero-initialised. Disposal frees it at once; a storage that is
/// never disposed is freed by its finalizer, and reports its size to the GC so that forgotten
/// intermediates do not pile up unseen. Shared by a tensor and its reshaped views (reference counted).
/// </summary>
public sealed unsafe class HostStorage : IDisposable
{
    private void* _ptr;
    private int _refs = 1;
    public long Bytes { get; }

    public HostStorage(long bytes)
    {
        Bytes = bytes;
        _ptr = NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 64), 64);
        NativeMemory.Clear(_ptr, (nuint)Math.Max(bytes, 64));
        if (bytes > 0) GC.AddMemoryPressure(bytes);
    }

    public void* Pointer => _ptr != null ? _ptr : throw new ObjectDisposedException(nameof(HostStorage), "tensor memory was already released");
    public bool IsDisposed => _ptr == null;

    internal void AddRef() => Interlocked.Increment(ref _refs);

    /// <summary>Drops one reference; the memory goes when the last one does.</summary>
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
        if (p != null)
        {
            NativeMemory.AlignedFree(p);
            if (Bytes > 0) GC.RemoveMemoryPressure(Bytes);
        }
    }

    ~HostStorage() => Free();
}
