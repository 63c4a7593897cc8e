using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

/// <summary>A non-blocking stream: the compute stream all kernels, copies and stream-ordered frees go to.</summary>
internal sealed class CudaStream : IDisposable
{
    private readonly StreamHandle _handle;

    public CudaStream()
    {
        CudaDriver.Check(CudaDriverApi.cuStreamCreate(out var s, CuFlags.StreamNonBlocking), "cuStreamCreate");
        _handle = new StreamHandle(s);
    }

    /// <summary>The raw CUstream for P/Invoke calls; valid while this object lives.</summary>
    public nint Handle => _handle.IsClosed ? throw new ObjectDisposedException(nameof(CudaStream)) : _handle.DangerousGetHandle();

    public void Synchronize() => CudaDriver.Check(CudaDriverApi.cuStreamSynchronize(Handle), "cuStreamSynchronize");

    public void Wait(CudaEvent evt) => CudaDriver.Check(CudaDriverApi.cuStreamWaitEvent(Handle, evt.Handle, 0), "cuStreamWaitEvent");

    public void Dispose() => _handle.Dispose();
}
