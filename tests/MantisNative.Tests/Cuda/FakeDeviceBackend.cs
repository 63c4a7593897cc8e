using System.Runtime.InteropServices;
using MantisNative.Tensors;

namespace MantisNative.Tests.Cuda;

/// <summary>
/// A "device" whose memory is host memory: lets the device side of Tensor and the op dispatch run on a machine
/// without a GPU. It is not CUDA, so ops on it stop at the CUDA backend lookup with a clear message.
/// </summary>
public sealed unsafe class FakeDeviceBackend : IDeviceBackend, IDisposable
{
    public FakeDeviceBackend(int ordinal = 7)
    {
        Device = Device.Cuda(ordinal);
        DeviceBackends.Register(this);
    }

    public Device Device { get; }
    public int LiveAllocations;

    private sealed class Storage : IDeviceStorage
    {
        private readonly FakeDeviceBackend _owner;
        private int _refs = 1;
        public Storage(FakeDeviceBackend owner, long bytes)
        {
            _owner = owner;
            Bytes = bytes;
            Pointer = (ulong)NativeMemory.AllocZeroed((nuint)Math.Max(bytes, 1));
            Interlocked.Increment(ref owner.LiveAllocations);
        }
        public Device Device => _owner.Device;
        public long Bytes { get; }
        public ulong Pointer { get; private set; }
        public void AddRef() => Interlocked.Increment(ref _refs);
        public void Dispose()
        {
            if (Interlocked.Decrement(ref _refs) != 0 || Pointer == 0) return;
            NativeMemory.Free((void*)Pointer);
            Pointer = 0;
            Interlocked.Decrement(ref _owner.LiveAllocations);
        }
    }

    public IDeviceStorage Allocate(long bytes, bool zero) => new Storage(this, bytes);

    private static Span<byte> Mem(IDeviceStorage s, long bytes) => new((void*)s.Pointer, checked((int)bytes));

    public void Upload(ReadOnlySpan<byte> source, IDeviceStorage destination) => source.CopyTo(Mem(destination, source.Length));
    public void Download(IDeviceStorage source, Span<byte> destination) => Mem(source, destination.Length).CopyTo(destination);
    public void Copy(IDeviceStorage source, IDeviceStorage destination, long bytes) => Mem(source, bytes).CopyTo(Mem(destination, bytes));
    public void Fill32(IDeviceStorage destination, uint pattern, long words) =>
        new Span<uint>((void*)destination.Pointer, checked((int)words)).Fill(pattern);

    private static float Read(Tensor t, long i) => t.DType == DType.F32
        ? ((float*)t.DevicePointer)[i]
        : FloatConversion.FromBFloat16(((ushort*)t.DevicePointer)[i]);

    private static void Write(Tensor t, long i, float v)
    {
        if (t.DType == DType.F32) ((float*)t.DevicePointer)[i] = v;
        else ((ushort*)t.DevicePointer)[i] = FloatConversion.ToBFloat16(v);
    }

    public void Cast(Tensor source, Tensor destination)
    {
        for (long i = 0; i < source.Numel; i++) Write(destination, i, Read(source, i));
    }

    public void AddInto(Tensor destination, Tensor source)
    {
        for (long i = 0; i < source.Numel; i++) Write(destination, i, Read(destination, i) + Read(source, i));
    }

    public void Dispose() => DeviceBackends.Unregister(Device);
}
