namespace MantisNative.Tensors;

// The device side of Tensor: where the memory lives and the explicit copies between devices. Host tensors take
// none of these paths (a null check), so the CPU engine is unchanged.
public sealed partial class Tensor
{
    /// <summary>The device holding this tensor's memory.</summary>
    public Device Device => _deviceStorage?.Device ?? Device.Cpu;

    /// <summary>True when the memory is on a GPU (not the host).</summary>
    public bool IsOnDevice => _deviceStorage is not null;

    /// <summary>The device memory of a device tensor.</summary>
    public IDeviceStorage DeviceStorage =>
        _deviceStorage ?? throw new InvalidOperationException($"tensor {Name ?? Shape.ToString()} is on the host, not on a device");

    /// <summary>The device address of the first element.</summary>
    public ulong DevicePointer => DeviceStorage.Pointer;

    private InvalidOperationException NotOnHost() =>
        new($"tensor {Name ?? Shape.ToString()} is on {Device}; copy it to the host with To(Device.Cpu) first");

    /// <summary>A new tensor on <paramref name="device"/> whose contents are undefined (for ops that write every element).</summary>
    public static Tensor EmptyOn(Device device, Shape shape, DType dtype) => AllocateOn(device, shape, dtype, zero: false);

    /// <summary>A new zero-filled tensor on <paramref name="device"/>.</summary>
    public static Tensor ZerosOn(Device device, Shape shape, DType dtype) => AllocateOn(device, shape, dtype, zero: true);

    /// <summary>An F32 tensor of <paramref name="value"/> on <paramref name="device"/>, filled there (no host copy).</summary>
    internal static Tensor FullF32On(Device device, Shape shape, float value)
    {
        if (device.IsCpu) return Full(shape, value);
        var t = AllocateOn(device, shape, DType.F32, zero: false);
        if (t.Numel > 0) DeviceBackends.Get(device).Fill32(t._deviceStorage!, (uint)BitConverter.SingleToInt32Bits(value), t.Numel);
        return t;
    }

    private static Tensor AllocateOn(Device device, Shape shape, DType dtype, bool zero)
    {
        if (device.IsCpu) return zero ? Zeros(shape, dtype) : Empty(shape, dtype);
        var backend = DeviceBackends.Get(device);
        return new Tensor(shape, dtype, backend.Allocate(checked(shape.Numel * dtype.SizeOf()), zero));
    }

    /// <summary>
    /// An explicit copy to <paramref name="device"/>, converted to <paramref name="dtype"/>. Without a dtype, floating
    /// tensors take the device's compute type (F32 on the host, BF16 on a GPU) and integer tensors keep theirs.
    /// Returns this same tensor when it already is on that device with that dtype.
    /// </summary>
    public Tensor To(Device device, DType? dtype = null)
    {
        var target = dtype ?? (IsFloating(DType) ? device.ComputeType : DType);
        if (device == Device && target == DType) return this;
        if (device.IsCpu)
        {
            var host = DownloadToHost();
            if (host.DType == target) return host;
            using (host) return host.To(target);
        }
        var backend = DeviceBackends.Get(device);
        if (device == Device)
        {
            var cast = EmptyOn(device, Shape, target);
            backend.Cast(this, cast);
            return cast;
        }
        // host (or another device) -> this device: convert on the host, then one upload
        var src = IsOnDevice ? DownloadToHost() : this;
        var converted = src.To(target);
        try
        {
            var t = new Tensor(Shape, target, backend.Allocate(checked(Numel * target.SizeOf()), zero: false));
            backend.Upload(converted.Bytes, t._deviceStorage!);
            return t;
        }
        finally
        {
            if (!ReferenceEquals(converted, this)) converted.Dispose();
            if (!ReferenceEquals(src, this) && !ReferenceEquals(src, converted)) src.Dispose();
        }
    }

    private static bool IsFloating(DType t) => t is DType.F32 or DType.BF16 or DType.F16;

    /// <summary>A host tensor with this device tensor's bytes (same dtype).</summary>
    private Tensor DownloadToHost()
    {
        var host = Empty(Shape, DType);
        if (Numel > 0) DeviceBackends.Get(Device).Download(_deviceStorage!, host.Bytes);
        return host;
    }

    private float[] DownloadToArray()
    {
        using var host = DownloadToHost();
        return host.ToArray();
    }

    private double[] DownloadAsDouble()
    {
        using var host = DownloadToHost();
        return host.ReadAsDouble();
    }

    private Tensor CloneOnDevice()
    {
        var t = EmptyOn(Device, Shape, DType);
        if (Numel > 0) DeviceBackends.Get(Device).Copy(_deviceStorage!, t._deviceStorage!, Numel * DType.SizeOf());
        return t;
    }

    /// <summary>
    /// The dtype of this device tensor's accumulated gradient (see <see cref="AccumulateGradOnDevice"/>): an
    /// intermediate's own dtype; a leaf's <see cref="LeafGradDType"/> (F32 unless the trainer chose bf16 gradients,
    /// in which case the fused beta = 1 GEMM accumulation is not used and the sum goes through the plain add).
    /// </summary>
    internal DType DeviceGradDType => IsIntermediate ? DType : LeafGradDType;

    /// <summary>
    /// The F32 device gradient a fused backward (a GEMM with beta = 1) may add into in place: the existing one, or a
    /// new uninitialised one (<paramref name="fresh"/>: write it, do not add) that <see cref="AdoptGrad"/> installs
    /// once written. False when this tensor's gradient is not an F32 device tensor; accumulate as usual then.
    /// </summary>
    internal bool TryGetDeviceF32GradTarget(out Tensor target, out bool fresh)
    {
        target = null!;
        fresh = false;
        if (_deviceStorage is null) return false;
        if (Grad is not null)
        {
            if (Grad.DType != DType.F32 || Grad.Device != Device) return false;
            target = Grad;
            return true;
        }
        if (DeviceGradDType != DType.F32) return false;
        target = TensorScope.Unscoped(() => EmptyOn(Device, Shape, DType.F32));
        fresh = true;
        return true;
    }

    /// <summary>Installs a gradient written by a fused backward into a fresh <see cref="TryGetDeviceF32GradTarget"/> target.</summary>
    internal void AdoptGrad(Tensor grad)
    {
        if (Grad is not null) throw new InvalidOperationException($"{Name ?? "tensor"} already has a gradient");
        if (!grad.Shape.Equals(Shape)) throw new InvalidOperationException($"gradient shape {grad.Shape} does not match {Name ?? "tensor"} {Shape}");
        Grad = grad;
    }

    /// <summary>
    /// Gradient accumulation on a device. Leaves (parameters, inputs) keep an F32 gradient so that sums over
    /// micro-batches do not lose bits; intermediates keep their own dtype so the backward they feed sees it.
    /// </summary>
    private void AccumulateGradOnDevice(Tensor g)
    {
        if (g.Device != Device)
            throw new MantisException($"gradient on {g.Device} for {Name ?? "tensor"} on {Device}: devices differ");
        var backend = DeviceBackends.Get(Device);
        if (Grad is null)
        {
            var dtype = DeviceGradDType;
            Grad = TensorScope.Unscoped(() => dtype == g.DType ? g.Clone() : ZerosOn(Device, Shape, dtype));
            if (dtype == g.DType) return;
        }
        backend.AddInto(Grad, g);
    }

    /// <summary>
    /// Moves this tensor's memory to <paramref name="device"/> in place (dtype as in <see cref="To(Device, DType?)"/>):
    /// for parameters, which modules hold by reference. The gradient is dropped (it belonged to the old memory).
    /// </summary>
    public void MoveTo(Device device, DType? dtype = null)
    {
        var moved = TensorScope.Unscoped(() => To(device, dtype));
        if (ReferenceEquals(moved, this)) return;
        var (oldHost, oldDevice) = (_host, _deviceStorage);
        (_host, _deviceStorage, DType) = (moved._host, moved._deviceStorage, moved.DType);
        // the temporary gives its memory away: its Dispose must not free it
        moved._host = null;
        moved._deviceStorage = null;
        moved._disposed = true;
        oldHost?.Dispose();
        oldDevice?.Dispose();
        ZeroGrad();
    }
}
