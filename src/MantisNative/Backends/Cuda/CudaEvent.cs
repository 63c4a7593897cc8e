using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>An event for timing (or ordering) work on a stream.</summary>
internal sealed class CudaEvent : IDisposable
{
    private readonly EventHandle _handle;

    public CudaEvent(bool timing = true)
    {
        CudaDriver.Check(CudaDriverApi.cuEventCreate(out var e, timing ? CuFlags.EventDefault : CuFlags.EventDisableTiming), "cuEventCreate");
        _handle = new EventHandle(e);
    }

    public nint Handle => _handle.IsClosed ? throw new ObjectDisposedException(nameof(CudaEvent)) : _handle.DangerousGetHandle();

    public void Record(CudaStream stream) => CudaDriver.Check(CudaDriverApi.cuEventRecord(Handle, stream.Handle), "cuEventRecord");

    public void Synchronize() => CudaDriver.Check(CudaDriverApi.cuEventSynchronize(Handle), "cuEventSynchronize");

    /// <summary>Milliseconds between two recorded events (waits for <paramref name="end"/>).</summary>
    public static float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        end.Synchronize();
        CudaDriver.Check(CudaDriverApi.cuEventElapsedTime(out var ms, start.Handle, end.Handle), "cuEventElapsedTime");
        return ms;
    }

    public void Dispose() => _handle.Dispose();
}
