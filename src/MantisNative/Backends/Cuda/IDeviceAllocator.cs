namespace MantisNative.Backends.Cuda;

/// <summary>Device memory for buffers. Frees are ordered on the compute stream: a block may be reused by later
/// work on that stream while earlier kernels still read it, never by another stream.</summary>
internal interface IDeviceAllocator : IDisposable
{
    ulong Allocate(long bytes);
    void Free(ulong pointer, long bytes);
    /// <summary>Bytes handed out and not yet freed.</summary>
    long BytesInUse { get; }
    /// <summary>The most <see cref="BytesInUse"/> has been since the allocator opened or <see cref="ResetPeak"/>.</summary>
    long PeakBytesInUse { get; }
    /// <summary>Starts a new high-water mark at the bytes in use now (per training step).</summary>
    void ResetPeak();
}

/// <summary>The raw driver calls under <see cref="CachingAllocator"/> (an interface so its logic is testable).</summary>
internal interface IRawDeviceMemory
{
    /// <summary>Allocates or throws (a <see cref="MantisNative.Interop.CudaException"/> with CUDA_ERROR_OUT_OF_MEMORY when full).</summary>
    ulong Allocate(long bytes);
    void Free(ulong pointer);
}
