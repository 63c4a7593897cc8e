using System.Runtime.InteropServices;

namespace MantisNative.Backends.Cuda;

// The device-resident tables of the multi-tensor launches (AdamW, gradient norm) and constants made once, owned by
// the op set for the backend's lifetime: a step restages what changed through the page-locked ring, never with a
// synchronising copy (docs/gpu-step.md, "Synchronising copies").
internal sealed partial class CudaOps : IDisposable
{
    private readonly Dictionary<string, MultiTensorTables> _tables = new();

    /// <summary>The table set of one launch kind (a kernel family with its moment format and gradient dtype).</summary>
    private MultiTensorTables Tables(string kind)
    {
        if (!_tables.TryGetValue(kind, out var t)) _tables[kind] = t = new MultiTensorTables(_be.Context);
        return t;
    }

    /// <summary>A constant table on the device, staged without a host wait (once per backend).</summary>
    private DeviceBuffer StagedConstant<T>(T[] values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        var b = _be.Context.Allocate(bytes.Length);
        if (!_be.Context.Staging.TryUpload(bytes, b.Pointer)) b.CopyFrom(bytes);
        else _be.Context.SyncCopies.Staged();
        return b;
    }

    public void Dispose()
    {
        foreach (var t in _tables.Values) t.Dispose();
        _tables.Clear();
        _momentMaps?.Dispose();
        _momentMaps = null;
    }
}
