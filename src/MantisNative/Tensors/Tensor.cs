using System.Runtime.InteropServices;

namespace MantisNative.Tensors;

/// <summary>
/// A dense, contiguous, row-major tensor on a <see cref="Tensors.Device"/>: 64-byte-aligned host memory (ops compute
/// in F32 there) or a GPU's memory (BF16 activations, F32 statistics and leaf gradients; see Tensor.Device.cs).
/// Other dtypes hold checkpoint data, ids and masks and convert with <see cref="To(DType)"/>.
/// A tensor that requires grad receives <see cref="Grad"/> from <c>Tape.Backward</c>; gradients
/// accumulate until <see cref="ZeroGrad"/>.
/// </summary>
public sealed unsafe partial class Tensor : IDisposable
{
    public Shape Shape { get; }
    public DType DType { get; private set; }
    private HostStorage? _host;
    private IDeviceStorage? _deviceStorage;

    /// <summary>The host memory; a device tensor has none (copy it with <see cref="To(Device, DType?)"/>).</summary>
    public HostStorage Storage => _host ?? throw NotOnHost();

    /// <summary>A readable name (the Hugging Face tensor name for parameters).</summary>
    public string? Name { get; set; }

    /// <summary>Leaf tensors (parameters, inputs) that want a gradient; ops propagate it to their outputs.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>Accumulated gradient (F32, same shape), or null before the first backward or after ZeroGrad.</summary>
    public Tensor? Grad { get; internal set; }

    /// <summary>The dtype a device leaf's gradient is accumulated in: F32 (default) or BF16 (half the memory; what
    /// grad_dtype bf16 sets on a GPU run's trainable weights). Host gradients are always F32.</summary>
    public DType LeafGradDType { get; set; } = DType.F32;

    /// <summary>True for tensors made by a recorded op (not a leaf): their grads are freed during backward.</summary>
    internal bool IsIntermediate { get; set; }

    private Tensor(Shape shape, DType dtype, HostStorage storage)
    {
        Shape = shape;
        DType = dtype;
        _host = storage;
        TensorScope.Register(this);
    }

    private Tensor(Shape shape, DType dtype, IDeviceStorage storage)
    {
        Shape = shape;
        DType = dtype;
        _deviceStorage = storage;
        TensorScope.Register(this);
    }

    /// <summary>A new zero-filled tensor.</summary>
    public static Tensor Zeros(Shape shape, DType dtype = DType.F32) =>
        new(shape, dtype, new HostStorage(checked(shape.Numel * dtype.SizeOf())));

    public static Tensor Zeros(params int[] dims) => Zeros(new Shape(dims));

    /// <summary>A new tensor whose contents are undefined: for ops that write every element.</summary>
    public static Tensor Empty(Shape shape, DType dtype = DType.F32) =>
        new(shape, dtype, new HostStorage(checked(shape.Numel * dtype.SizeOf()), zero: false));

    public static Tensor Full(Shape shape, float value)
    {
        var t = Zeros(shape);
        t.Span.Fill(value);
        return t;
    }

    public static Tensor Scalar(float value) => Full(new Shape(), value);

    /// <summary>A tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(float[] data, params int[] dims) => FromSpan(data, new Shape(dims));

    public static Tensor FromSpan(ReadOnlySpan<float> data, Shape shape)
    {
        if (data.Length != shape.Numel) throw new ArgumentException($"{data.Length} values do not fill shape {shape}");
        var t = Zeros(shape);
        data.CopyTo(t.Span);
        return t;
    }

    /// <summary>A tensor of raw elements of any dtype (bytes are copied).</summary>
    public static Tensor FromBytes(ReadOnlySpan<byte> bytes, DType dtype, Shape shape)
    {
        if (bytes.Length != shape.Numel * dtype.SizeOf())
            throw new ArgumentException($"{bytes.Length} bytes do not fill {dtype} shape {shape}");
        var t = Zeros(shape, dtype);
        bytes.CopyTo(t.Bytes);
        return t;
    }

    /// <summary>Normal(0, std) values from a seeded generator.</summary>
    public static Tensor Randn(Shape shape, Rng rng, float std = 1f)
    {
        var t = Zeros(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextNormal() * std);
        return t;
    }

    /// <summary>Uniform(lo, hi) values from a seeded generator.</summary>
    public static Tensor Uniform(Shape shape, Rng rng, float lo, float hi)
    {
        var t = Zeros(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)(lo + (hi - lo) * rng.NextDouble());
        return t;
    }

    public long Numel => Shape.Numel;
    public int Rank => Shape.Rank;
    public int Dim(int i) => Shape[i];

    /// <summary>Pointer to the first F32 element.</summary>
    public float* Data
    {
        get
        {
            RequireF32();
            return (float*)Storage.Pointer;
        }
    }

    /// <summary>The F32 elements as a span (tensors above 2^31 elements need <see cref="Data"/>).</summary>
    public Span<float> Span
    {
        get
        {
            RequireF32();
            return new Span<float>(Storage.Pointer, checked((int)Numel));
        }
    }

    /// <summary>The raw bytes of any dtype.</summary>
    public Span<byte> Bytes => new(Storage.Pointer, checked((int)(Numel * DType.SizeOf())));

    /// <summary>The elements reinterpreted as <typeparamref name="T"/> (which must match the dtype's size).</summary>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (sizeof(T) != DType.SizeOf()) throw new InvalidOperationException($"cannot view {DType} as {typeof(T).Name}");
        return MemoryMarshal.Cast<byte, T>(Bytes);
    }

    private void RequireF32()
    {
        if (DType != DType.F32) throw new InvalidOperationException($"tensor {Name ?? Shape.ToString()} is {DType}; this needs F32");
    }

    public float[] ToArray() => _deviceStorage is not null ? DownloadToArray() : To(DType.F32) is var t && ReferenceEquals(t, this) ? Span.ToArray() : ConvertAndDispose(t);

    private static float[] ConvertAndDispose(Tensor t)
    {
        using (t) return t.Span.ToArray();
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"Item() needs one element, tensor has shape {Shape}");
        return ToArray()[0];
    }

    /// <summary>
    /// A copy converted to <paramref name="dtype"/> (this same tensor when it already is that dtype).
    /// Float to bf16/f16 rounds to nearest even; float to integer truncates toward zero.
    /// </summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        if (_deviceStorage is not null) return To(Device, dtype);
        var dst = Zeros(Shape, dtype);
        long n = Numel;
        if (n == 0) return dst;
        var src = ReadAsDouble();
        switch (dtype)
        {
            case DType.F32: { var d = dst.Span; for (int i = 0; i < n; i++) d[i] = (float)src[i]; break; }
            case DType.BF16: { var d = dst.AsSpan<ushort>(); for (int i = 0; i < n; i++) d[i] = FloatConversion.ToBFloat16((float)src[i]); break; }
            case DType.F16: { var d = dst.AsSpan<ushort>(); for (int i = 0; i < n; i++) d[i] = FloatConversion.ToFloat16((float)src[i]); break; }
            case DType.I32: { var d = dst.AsSpan<int>(); for (int i = 0; i < n; i++) d[i] = (int)src[i]; break; }
            case DType.I64: { var d = dst.AsSpan<long>(); for (int i = 0; i < n; i++) d[i] = (long)src[i]; break; }
            case DType.U8: { var d = dst.AsSpan<byte>(); for (int i = 0; i < n; i++) d[i] = (byte)src[i]; break; }
            case DType.Bool: { var d = dst.AsSpan<byte>(); for (int i = 0; i < n; i++) d[i] = src[i] != 0 ? (byte)1 : (byte)0; break; }
        }
        return dst;
    }

    /// <summary>All elements widened to double (exact for every dtype but I64 beyond 2^53).</summary>
    public double[] ReadAsDouble()
    {
        if (_deviceStorage is not null) return DownloadAsDouble();
        var r = new double[Numel];
        switch (DType)
        {
            case DType.F32: { var s = Span; for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.BF16: { var s = AsSpan<ushort>(); for (int i = 0; i < r.Length; i++) r[i] = FloatConversion.FromBFloat16(s[i]); break; }
            case DType.F16: { var s = AsSpan<ushort>(); for (int i = 0; i < r.Length; i++) r[i] = FloatConversion.FromFloat16(s[i]); break; }
            case DType.I32: { var s = AsSpan<int>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.I64: { var s = AsSpan<long>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            case DType.U8: case DType.Bool: { var s = AsSpan<byte>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
        }
        return r;
    }

    /// <summary>Integer elements (I32/I64/U8/Bool, or integral floats) as int[].</summary>
    public int[] ToIntArray()
    {
        var d = ReadAsDouble();
        var r = new int[d.Length];
        for (int i = 0; i < d.Length; i++) r[i] = checked((int)d[i]);
        return r;
    }

    /// <summary>A new tensor with its own copy of the data, not connected to any tape.</summary>
    public Tensor Clone()
    {
        if (_deviceStorage is not null) return CloneOnDevice();
        var t = new Tensor(Shape, DType, new HostStorage(Storage.Bytes, zero: false));
        Bytes.CopyTo(t.Bytes);
        return t;
    }

    /// <summary>A view sharing this tensor's memory with another shape of the same size (no tape record).</summary>
    public Tensor View(Shape shape)
    {
        if (shape.Numel != Numel) throw new ArgumentException($"cannot view {Shape} as {shape}");
        if (_deviceStorage is not null)
        {
            _deviceStorage.AddRef();
            return new Tensor(shape, DType, _deviceStorage);
        }
        Storage.AddRef();
        return new Tensor(shape, DType, Storage);
    }

    public Tensor View(params int[] dims) => View(new Shape(InferDims(dims)));

    /// <summary>Replaces one -1 by the size that makes the element count match.</summary>
    internal int[] InferDims(int[] dims)
    {
        int neg = Array.IndexOf(dims, -1);
        if (neg < 0) return dims;
        long rest = 1;
        for (int i = 0; i < dims.Length; i++) if (i != neg) rest *= dims[i];
        var r = (int[])dims.Clone();
        r[neg] = rest == 0 ? 0 : checked((int)(Numel / rest));
        return r;
    }

    /// <summary>Adds <paramref name="g"/> into <see cref="Grad"/> (allocating it on first use).</summary>
    internal void AccumulateGrad(Tensor g)
    {
        if (!g.Shape.Equals(Shape)) throw new InvalidOperationException($"gradient shape {g.Shape} does not match {Name ?? "tensor"} {Shape}");
        if (_deviceStorage is not null || g._deviceStorage is not null)
        {
            AccumulateGradOnDevice(g);
            return;
        }
        if (Grad is null)
        {
            // a gradient outlives any activation scope of the step that produced it
            Grad = TensorScope.Unscoped(g.Clone);
            return;
        }
        TensorPrimitives.Add(Grad.Span, g.Span, Grad.Span);
    }

    /// <summary>
    /// As <see cref="AccumulateGrad"/> for a gradient the caller owns and would dispose next (a backward's fresh
    /// result). On first use it becomes <see cref="Grad"/> itself instead of being copied, when nothing else shares
    /// its memory (a view is still copied); the copy was one full read and write of every gradient of the step.
    /// Same values either way. Returns true when it took <paramref name="g"/>: the caller must then not dispose it.
    /// </summary>
    internal bool AccumulateOwnedGrad(Tensor g)
    {
        if (Grad is not null || _deviceStorage is not null || g._host is not { IsSoleOwner: true } || g.Grad is not null || !g.Shape.Equals(Shape))
        {
            AccumulateGrad(g);
            return false;
        }
        // an intermediate's gradient is freed by the tape once used (or by the step's scope if never used);
        // a leaf's outlives the step's activation scope, as the copy did
        if (!IsIntermediate) TensorScope.Keep(g);
        Grad = g;
        return true;
    }

    /// <summary>Drops the accumulated gradient.</summary>
    public void ZeroGrad()
    {
        Grad?.Dispose();
        Grad = null;
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _host?.Dispose();
        _deviceStorage?.Dispose();
        Grad?.Dispose();
        Grad = null;
    }

    public override string ToString() => $"Tensor({Name ?? ""}{(Name is null ? "" : " ")}{DType} {Shape})";
}
