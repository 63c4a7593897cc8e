using System.Runtime.InteropServices;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// The size and pointer tables a multi-tensor launch reads (AdamW: sizes, masters, copies, grads, moments, ...; the
/// gradient norm: sizes, grads), kept on the device from step to step. Each step the caller lists the columns again;
/// only the bytes between the first and the last that differ from what the device holds are staged, through the
/// page-locked ring (<see cref="PinnedStagingRing"/>), on the compute stream: masters and moments never move, so a
/// training step restages the gradient column (ZeroGrad frees gradients, their addresses change) and nothing else.
/// The copy is ordered after the previous launch that read the tables and before the next one (one stream), so no
/// host wait is needed either way. One instance per (kernel family, moment format, gradient dtype), owned by
/// <see cref="CudaOps"/>.
/// </summary>
internal sealed class MultiTensorTables : IDisposable
{
    /// <summary>Columns start at multiples of this (8-byte entries, and an aligned address for every column).</summary>
    private const int ColumnAlignment = 16;

    private readonly CudaContext _ctx;
    private readonly List<(int Offset, int Bytes)> _columns = new();
    private byte[] _next = new byte[256];
    private int _used;
    private byte[] _onDevice = Array.Empty<byte>();
    private DeviceBuffer? _device;

    public MultiTensorTables(CudaContext context) => _ctx = context;

    /// <summary>Bytes staged by the last <see cref="Commit"/> (0: the device already held them).</summary>
    public int LastStagedBytes { get; private set; }

    /// <summary>Starts listing this launch's columns.</summary>
    public MultiTensorTables Begin()
    {
        _columns.Clear();
        _used = 0;
        return this;
    }

    public MultiTensorTables Sizes(IEnumerable<Tensor> ts) => Column(ts.Select(t => t.Numel).ToArray());

    /// <summary>Device addresses (0 for an absent tensor, which the kernels skip).</summary>
    public MultiTensorTables Pointers(IEnumerable<Tensor?> ts) => Column(ts.Select(t => t?.DevicePointer ?? 0UL).ToArray());

    public MultiTensorTables Column<T>(T[] values) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        int offset = (_used + ColumnAlignment - 1) / ColumnAlignment * ColumnAlignment;
        int end = checked(offset + bytes.Length);
        if (end > _next.Length) Array.Resize(ref _next, Math.Max(end, _next.Length * 2));
        _next.AsSpan(_used, offset - _used).Clear();
        bytes.CopyTo(_next.AsSpan(offset));
        _columns.Add((offset, bytes.Length));
        _used = end;
        return this;
    }

    /// <summary>Makes the device hold the listed columns (staging what changed) and returns each column's address.</summary>
    public ulong[] Commit()
    {
        var next = _next.AsSpan(0, Math.Max(_used, 1));
        LastStagedBytes = 0;
        if (_device is null || _device.Bytes != next.Length)
        {
            _device?.Dispose();   // stream-ordered: the launch that read it was queued before
            _device = null;
            _device = _ctx.Allocate(next.Length);
            _onDevice = new byte[next.Length];
            Stage(next, 0, next.Length);
        }
        else
        {
            int first = 0, last = next.Length - 1;
            while (first < next.Length && next[first] == _onDevice[first]) first++;
            if (first < next.Length)
            {
                while (next[last] == _onDevice[last]) last--;
                Stage(next, first, last + 1 - first);
            }
        }
        var addresses = new ulong[_columns.Count];
        for (int i = 0; i < addresses.Length; i++) addresses[i] = _device.Pointer + (ulong)_columns[i].Offset;
        return addresses;
    }

    private void Stage(ReadOnlySpan<byte> next, int offset, int bytes)
    {
        var part = next.Slice(offset, bytes);
        if (!_ctx.Staging.TryUpload(part, _device!.Pointer + (ulong)offset))
            throw new MantisException($"a multi-tensor table of {bytes} bytes is larger than the staging ring takes ({PinnedStagingRing.MaxUpload} bytes)");
        _ctx.SyncCopies.Staged();
        part.CopyTo(_onDevice.AsSpan(offset));
        LastStagedBytes = bytes;
    }

    public void Dispose()
    {
        _device?.Dispose();
        _device = null;
    }
}
