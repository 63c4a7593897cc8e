using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu.Frozen;

/// <summary>
/// A bf16 or f16 weight used where it lies (a memory-mapped checkpoint, or one 16-bit copy that
/// <paramref name="owner"/> frees): widened to fp32 in registers by <see cref="DecodeRow"/> and by the fused bf16
/// GEMV, so an 8B model costs its file size, not twice that. Widening is exact, so a product through this matrix
/// sees the same fp32 values as one through the widened weight.
/// </summary>
public sealed unsafe class HalfMatrix : FrozenMatrix
{
    private readonly ushort* _data;
    private IDisposable? _owner;

    /// <param name="data">Rows * Cols 16-bit values, row-major, valid while <paramref name="owner"/> lives</param>
    /// <param name="owner">what keeps <paramref name="data"/> valid (disposed with this matrix), or null when the caller keeps it</param>
    public HalfMatrix(WeightFormat format, int rows, int cols, ushort* data, IDisposable? owner) : base(format, rows, cols)
    {
        if (format is not (WeightFormat.BF16 or WeightFormat.F16)) throw new ArgumentException($"HalfMatrix holds bf16 or f16, not {format.Name()}", nameof(format));
        if (data == null) throw new ArgumentNullException(nameof(data));
        _data = data;
        _owner = owner;
    }

    /// <summary>A new 16-bit copy of an fp32 matrix (rounded to nearest even): the "one 16-bit copy" of an fp32 checkpoint.</summary>
    public static HalfMatrix Round(WeightFormat format, int rows, int cols, ReadOnlySpan<float> values)
    {
        if (values.Length != (long)rows * cols) throw new ArgumentException($"{values.Length} values do not fill [{rows}, {cols}]", nameof(values));
        var storage = new HostStorage((long)rows * cols * 2, zero: false);
        var d = new Span<ushort>(storage.Pointer, values.Length);
        for (int i = 0; i < d.Length; i++) d[i] = format == WeightFormat.BF16 ? FloatConversion.ToBFloat16(values[i]) : FloatConversion.ToFloat16(values[i]);
        return new HalfMatrix(format, rows, cols, (ushort*)storage.Pointer, storage);
    }

    public override long ByteSize => (long)Rows * Cols * 2;

    public override void DecodeRow(int row, int col0, int count, float* dst)
    {
        CheckSegment(row, col0, count);
        ushort* src = _data + (nint)row * Cols + col0;
        if (Format == WeightFormat.F16)
        {
            TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(src, count), new Span<float>(dst, count));
            return;
        }
        WidenBf16(src, dst, count);
    }

    /// <summary>bf16 to fp32: the 16 bits become the high half of the float (exact).</summary>
    internal static void WidenBf16(ushort* src, float* dst, int count)
    {
        int c = 0;
        if (Avx512F.IsSupported)
            for (; c + 16 <= count; c += 16) Avx512F.Store(dst + c, Load16(src + c));
        else if (Avx2.IsSupported)
            for (; c + 8 <= count; c += 8) Avx.Store(dst + c, Load8(src + c));
        for (; c < count; c++) dst[c] = BitConverter.Int32BitsToSingle(src[c] << 16);
    }

    public override void GemvRows(float* x, float* y, int r0, int r1, float* scratch)
    {
        if (Format != WeightFormat.BF16 || !(Avx512F.IsSupported || (Avx2.IsSupported && Fma.IsSupported)))
        {
            base.GemvRows(x, y, r0, r1, scratch);
            return;
        }
        int r = r0;
        if (FourRows)
            for (; r + 4 <= r1; r += 4)
            {
                if (Avx512F.IsSupported) DotAvx512x4(_data + (nint)r * Cols, Cols, x, y + r);
                else DotAvx2x4(_data + (nint)r * Cols, Cols, x, y + r);
            }
        for (; r < r1; r++) y[r] = Avx512F.IsSupported ? DotAvx512(_data + (nint)r * Cols, x, Cols) : DotAvx2(_data + (nint)r * Cols, x, Cols);
    }

    /// <summary>
    /// Whether the bf16 GEMV takes four rows per pass (the default): each x vector loaded once feeds four rows'
    /// FMAs, so a pass issues 1.25 loads per 16 weights instead of 2, and four weight streams are in flight.
    /// False: one row at a time (tests cover both; the bench compares them).
    /// </summary>
    internal static bool FourRows { get; set; } = true;

    // rows w, w + n, w + 2n, w + 3n against one x: two accumulators per row (8 chains hide the FMA latency)
    private static void DotAvx512x4(ushort* w, int n, float* x, float* y)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        ushort* w1 = w + n, w2 = w + 2 * n, w3 = w + 3 * n;
        int c = 0;
        for (; c + 32 <= n; c += 32)
        {
            var x0 = Avx512F.LoadVector512(x + c);
            var x1 = Avx512F.LoadVector512(x + c + 16);
            a0 = Avx512F.FusedMultiplyAdd(Load16(w + c), x0, a0);
            b0 = Avx512F.FusedMultiplyAdd(Load16(w + c + 16), x1, b0);
            a1 = Avx512F.FusedMultiplyAdd(Load16(w1 + c), x0, a1);
            b1 = Avx512F.FusedMultiplyAdd(Load16(w1 + c + 16), x1, b1);
            a2 = Avx512F.FusedMultiplyAdd(Load16(w2 + c), x0, a2);
            b2 = Avx512F.FusedMultiplyAdd(Load16(w2 + c + 16), x1, b2);
            a3 = Avx512F.FusedMultiplyAdd(Load16(w3 + c), x0, a3);
            b3 = Avx512F.FusedMultiplyAdd(Load16(w3 + c + 16), x1, b3);
        }
        for (; c + 16 <= n; c += 16)
        {
            var x0 = Avx512F.LoadVector512(x + c);
            a0 = Avx512F.FusedMultiplyAdd(Load16(w + c), x0, a0);
            a1 = Avx512F.FusedMultiplyAdd(Load16(w1 + c), x0, a1);
            a2 = Avx512F.FusedMultiplyAdd(Load16(w2 + c), x0, a2);
            a3 = Avx512F.FusedMultiplyAdd(Load16(w3 + c), x0, a3);
        }
        y[0] = Vector512.Sum(Avx512F.Add(a0, b0)) + Tail(w, x, c, n);
        y[1] = Vector512.Sum(Avx512F.Add(a1, b1)) + Tail(w1, x, c, n);
        y[2] = Vector512.Sum(Avx512F.Add(a2, b2)) + Tail(w2, x, c, n);
        y[3] = Vector512.Sum(Avx512F.Add(a3, b3)) + Tail(w3, x, c, n);
    }

    private static void DotAvx2x4(ushort* w, int n, float* x, float* y)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        ushort* w1 = w + n, w2 = w + 2 * n, w3 = w + 3 * n;
        int c = 0;
        for (; c + 16 <= n; c += 16)
        {
            var x0 = Avx.LoadVector256(x + c);
            var x1 = Avx.LoadVector256(x + c + 8);
            a0 = Fma.MultiplyAdd(Load8(w + c), x0, a0);
            b0 = Fma.MultiplyAdd(Load8(w + c + 8), x1, b0);
            a1 = Fma.MultiplyAdd(Load8(w1 + c), x0, a1);
            b1 = Fma.MultiplyAdd(Load8(w1 + c + 8), x1, b1);
            a2 = Fma.MultiplyAdd(Load8(w2 + c), x0, a2);
            b2 = Fma.MultiplyAdd(Load8(w2 + c + 8), x1, b2);
            a3 = Fma.MultiplyAdd(Load8(w3 + c), x0, a3);
            b3 = Fma.MultiplyAdd(Load8(w3 + c + 8), x1, b3);
        }
        for (; c + 8 <= n; c += 8)
        {
            var x0 = Avx.LoadVector256(x + c);
            a0 = Fma.MultiplyAdd(Load8(w + c), x0, a0);
            a1 = Fma.MultiplyAdd(Load8(w1 + c), x0, a1);
            a2 = Fma.MultiplyAdd(Load8(w2 + c), x0, a2);
            a3 = Fma.MultiplyAdd(Load8(w3 + c), x0, a3);
        }
        y[0] = Vector256.Sum(Avx.Add(a0, b0)) + Tail(w, x, c, n);
        y[1] = Vector256.Sum(Avx.Add(a1, b1)) + Tail(w1, x, c, n);
        y[2] = Vector256.Sum(Avx.Add(a2, b2)) + Tail(w2, x, c, n);
        y[3] = Vector256.Sum(Avx.Add(a3, b3)) + Tail(w3, x, c, n);
    }

    private static float Tail(ushort* w, float* x, int c, int n)
    {
        float s = 0;
        for (; c < n; c++) s += BitConverter.Int32BitsToSingle(w[c] << 16) * x[c];
        return s;
    }

    // Four independent accumulators so the loop is bound by loads, not by the FMA latency chain.
    private static float DotAvx512(ushort* w, float* x, int n)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int c = 0;
        for (; c + 64 <= n; c += 64)
        {
            a0 = Avx512F.FusedMultiplyAdd(Load16(w + c), Avx512F.LoadVector512(x + c), a0);
            a1 = Avx512F.FusedMultiplyAdd(Load16(w + c + 16), Avx512F.LoadVector512(x + c + 16), a1);
            a2 = Avx512F.FusedMultiplyAdd(Load16(w + c + 32), Avx512F.LoadVector512(x + c + 32), a2);
            a3 = Avx512F.FusedMultiplyAdd(Load16(w + c + 48), Avx512F.LoadVector512(x + c + 48), a3);
        }
        for (; c + 16 <= n; c += 16) a0 = Avx512F.FusedMultiplyAdd(Load16(w + c), Avx512F.LoadVector512(x + c), a0);
        float sum = Vector512.Sum(Avx512F.Add(Avx512F.Add(a0, a1), Avx512F.Add(a2, a3)));
        for (; c < n; c++) sum += BitConverter.Int32BitsToSingle(w[c] << 16) * x[c];
        return sum;
    }

    private static float DotAvx2(ushort* w, float* x, int n)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        int c = 0;
        for (; c + 32 <= n; c += 32)
        {
            a0 = Fma.MultiplyAdd(Load8(w + c), Avx.LoadVector256(x + c), a0);
            a1 = Fma.MultiplyAdd(Load8(w + c + 8), Avx.LoadVector256(x + c + 8), a1);
            a2 = Fma.MultiplyAdd(Load8(w + c + 16), Avx.LoadVector256(x + c + 16), a2);
            a3 = Fma.MultiplyAdd(Load8(w + c + 24), Avx.LoadVector256(x + c + 24), a3);
        }
        for (; c + 8 <= n; c += 8) a0 = Fma.MultiplyAdd(Load8(w + c), Avx.LoadVector256(x + c), a0);
        float sum = Vector256.Sum(Avx.Add(Avx.Add(a0, a1), Avx.Add(a2, a3)));
        for (; c < n; c++) sum += BitConverter.Int32BitsToSingle(w[c] << 16) * x[c];
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load16(ushort* p) =>
        Avx512F.ShiftLeftLogical(Avx512F.ConvertToVector512UInt32(Vector256.Load(p)), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load8(ushort* p) =>
        Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Vector128.Load(p)), 16).AsSingle();

    protected override void Release()
    {
        _owner?.Dispose();
        _owner = null;
    }
}
