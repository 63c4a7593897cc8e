using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// The argument list of one kernel launch. cuLaunchKernel takes an array of pointers, one per parameter, each
/// pointing at the parameter's value; the values live here in one byte buffer, each at its natural alignment,
/// and are pinned only for the launch call (the driver copies them then). Device pointers are ulong values;
/// a null optional pointer is 0.
/// </summary>
internal sealed class KernelArgs
{
    private byte[] _buffer = new byte[128];
    private readonly List<int> _offsets = new();
    private int _length;

    public int Count => _offsets.Count;
    internal IReadOnlyList<int> Offsets => _offsets;
    internal byte[] Buffer => _buffer;

    public KernelArgs Add<T>(T value) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        int align = Math.Min(size switch { 1 => 1, 2 => 2, 3 or 4 => 4, _ => 8 }, 8);
        int offset = (_length + align - 1) / align * align;
        if (offset + size > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, offset + size));
        MemoryMarshal.Write(_buffer.AsSpan(offset), in value);
        _offsets.Add(offset);
        _length = offset + size;
        return this;
    }

    public KernelArgs Ptr(ulong devicePointer) => Add(devicePointer);
    public KernelArgs Ptr(DeviceBuffer? buffer) => Add(buffer?.Pointer ?? 0UL);
    public KernelArgs Int(int v) => Add(v);
    public KernelArgs Long(long v) => Add(v);
    public KernelArgs Float(float v) => Add(v);

    /// <summary>Reads argument <paramref name="index"/> back (tests check the layout with it).</summary>
    public T Get<T>(int index) where T : unmanaged => MemoryMarshal.Read<T>(_buffer.AsSpan(_offsets[index]));
}
