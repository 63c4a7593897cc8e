namespace MantisNative.Backends.Cuda;

/// <summary>
/// The synchronising host copies of one context (<see cref="DeviceBuffer.CopyFrom{T}"/> / <see cref="DeviceBuffer.CopyTo{T}"/>:
/// a copy from or to pageable host memory, then a wait for the stream). Inside a training step each one stalls the
/// host until the GPU has drained its queue, so the trainer logs them per step (DESIGN.md: no silent host/device
/// copies inside a step) and the emulated training test holds them to the contract: two scalar reads per optimizer
/// step (loss sum, gradient norm). Page-locked copies (<see cref="PinnedUploader"/>'s pixels on the copy stream) are not
/// synchronising; the small ones through <see cref="PinnedStagingRing"/> are counted apart as staged uploads.
/// </summary>
internal sealed class SyncCopyCounter
{
    private long _uploads, _reads, _staged;

    public void Upload() => Interlocked.Increment(ref _uploads);
    public void Staged() => Interlocked.Increment(ref _staged);
    public void Read() => Interlocked.Increment(ref _reads);

    /// <summary>The counts since the last call, starting new ones.</summary>
    public (long Uploads, long Reads, long Staged) Take() =>
        (Interlocked.Exchange(ref _uploads, 0), Interlocked.Exchange(ref _reads, 0), Interlocked.Exchange(ref _staged, 0));
}
