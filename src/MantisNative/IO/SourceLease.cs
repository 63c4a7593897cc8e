namespace MantisNative.IO;

/// <summary>
/// Shared ownership of an opened checkpoint (its memory mappings): every frozen weight used in place holds one
/// reference, and the mapping closes when the last weight (and the loader) let go. A model that took no weight in
/// place closes its checkpoint at the end of the load, as before.
/// </summary>
internal sealed class SourceLease
{
    private readonly IDisposable _source;
    private int _refs = 1;

    public SourceLease(IDisposable source) => _source = source;

    /// <summary>A new reference; disposing it releases that reference (once).</summary>
    public IDisposable Acquire()
    {
        if (Interlocked.Increment(ref _refs) <= 1) throw new ObjectDisposedException(nameof(SourceLease), "the checkpoint was already closed");
        return new Handle(this);
    }

    /// <summary>Drops the creator's reference.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0) _source.Dispose();
    }

    private sealed class Handle(SourceLease lease) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) lease.Release();
        }
    }
}
