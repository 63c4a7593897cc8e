namespace MantisNative.Backends.Cuda;

/// <summary>
/// The synchronising host copies of one context (<see cref="DeviceBuffer.CopyFrom{T}"/> / <see cref="DeviceBuffer.CopyTo{T}"/>:
/// a copy from or to pageable host memory, then a wait for the stream). Inside a training step each one stalls the
/// host until the GPU has drained its queue, so the trainer logs them per step (DESIGN.md: no silent host/device
/// copies inside a step) and the emulated training test holds them to the contract: two scalar reads per optimizer
/// step (loss sum, gradient norm). Page-locked copies on the copy stream (<see cref="PinnedUploader"/>) are not counted.
/// </summary>
internal sealed class SyncCopyCounter
{
    private long _uploads, _reads;

    public void Upload() => Interlocked.Increment(ref _uploads);
    public void Read() => Interlocked.Increment(ref _reads);

    /// <summary>The counts since the last call, starting new ones.</summary>
    public (long Uploads, long Reads) Take() => (Interlocked.Exchange(ref _uploads, 0), Interlocked.Exchange(ref _reads, 0));
}
