using System.Runtime.InteropServices;
using MantisNative.Interop;

namespace MantisNative.Backends.Cuda;

// SafeHandles for the driver objects whose lifetime matters: release happens exactly once, also from the
// finalizer when a Dispose was missed. Release failures are ignored there (the process may be tearing down
// the context already), which is what ReleaseHandle's bool is for.

/// <summary>A retained primary context; releasing it drops our reference (cuDevicePrimaryCtxRelease).</summary>
internal sealed class PrimaryContextHandle : SafeHandle
{
    public int Device { get; }
    public PrimaryContextHandle(nint context, int device) : base(0, true) { SetHandle(context); Device = device; }
    public override bool IsInvalid => handle == 0;
    protected override bool ReleaseHandle() => CudaDriverApi.cuDevicePrimaryCtxRelease(Device) == CuResult.Success;
}

/// <summary>A stream created with cuStreamCreate.</summary>
internal sealed class StreamHandle : SafeHandle
{
    public StreamHandle(nint stream) : base(0, true) => SetHandle(stream);
    public override bool IsInvalid => handle == 0;
    protected override bool ReleaseHandle() => CudaDriverApi.cuStreamDestroy(handle) == CuResult.Success;
}

/// <summary>An event created with cuEventCreate.</summary>
internal sealed class EventHandle : SafeHandle
{
    public EventHandle(nint evt) : base(0, true) => SetHandle(evt);
    public override bool IsInvalid => handle == 0;
    protected override bool ReleaseHandle() => CudaDriverApi.cuEventDestroy(handle) == CuResult.Success;
}

/// <summary>A module loaded with cuModuleLoadDataEx; its functions are valid while it lives.</summary>
internal sealed class ModuleHandle : SafeHandle
{
    public ModuleHandle(nint module) : base(0, true) => SetHandle(module);
    public override bool IsInvalid => handle == 0;
    protected override bool ReleaseHandle() => CudaDriverApi.cuModuleUnload(handle) == CuResult.Success;
}
