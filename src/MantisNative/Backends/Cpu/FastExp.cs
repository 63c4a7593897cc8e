using System.Numerics;
using System.Runtime.CompilerServices;

namespace MantisNative.Backends.Cpu;

/// <summary>
/// exp for fp32 spans in the widest <see cref="Vector{T}"/> the JIT gives (8 lanes on AVX2/AVX-512, 4 on
/// NEON): Cody-Waite reduction x = n ln2 + r (|r| &lt;= ln2/2, ln2 split in two so n ln2 is exact) and the
/// Cephes degree-7 polynomial for e^r, then 2^n through the exponent bits. Relative error &lt;= 2 ulp
/// (checked against double exp in the tests), the same class as TensorPrimitives.Exp, which in .NET 10
/// widens float to double and was ~13 % of the tiny model's training step (softmax in attention, GELU-tanh).
/// Edge cases as IEEE exp: -inf and anything below ln(2^-126) -> 0 (masked attention scores must vanish
/// exactly), above ln(FLT_MAX) -> +inf, NaN -> NaN.
/// </summary>
internal static class FastExp
{
    private const float Log2E = 1.44269504088896341f;
    private const float Ln2Hi = 0.693359375f, Ln2Lo = -2.12194440e-4f;
    private const float Hi = 88.7228391f, Lo = -87.3365447f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
        P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /// <summary>row[i] = exp(row[i] - shift); returns the sum of the results (the softmax denominator).</summary>
    public static float ExpShiftedSum(Span<float> row, float shift)
    {
        int w = Vector<float>.Count, i = 0;
        var vs = new Vector<float>(shift);
        var acc = Vector<float>.Zero;
        ref float r0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(row);
        for (; i + w <= row.Length; i += w)
        {
            ref float ri = ref Unsafe.Add(ref r0, i);
            var e = Exp(Vector.LoadUnsafe(ref ri) - vs);
            e.StoreUnsafe(ref ri);
            acc += e;
        }
        float sum = Vector.Sum(acc);
        for (; i < row.Length; i++)
        {
            float e = Scalar(row[i] - shift);
            row[i] = e;
            sum += e;
        }
        return sum;
    }

    /// <summary>dst[i] = exp(src[i]); src and dst may be the same span.</summary>
    public static void Exp(ReadOnlySpan<float> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination shorter than source", nameof(dst));
        int w = Vector<float>.Count, i = 0;
        ref float s0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(src);
        ref float d0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(dst);
        for (; i + w <= src.Length; i += w)
            Exp(Vector.LoadUnsafe(ref Unsafe.Add(ref s0, i))).StoreUnsafe(ref Unsafe.Add(ref d0, i));
        for (; i < src.Length; i++) dst[i] = Scalar(src[i]);
    }

    /// <summary>One value through the same vector code (so tails round like the body).</summary>
    public static float Scalar(float x) => Exp(new Vector<float>(x))[0];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Exp(Vector<float> x)
    {
        var xc = Vector.Min(Vector.Max(x, new Vector<float>(Lo)), new Vector<float>(Hi));
        var n = Vector.Round(xc * new Vector<float>(Log2E));
        var r = Vector.FusedMultiplyAdd(n, new Vector<float>(-Ln2Hi), xc);
        r = Vector.FusedMultiplyAdd(n, new Vector<float>(-Ln2Lo), r);
        var p = Vector.FusedMultiplyAdd(new Vector<float>(P0), r, new Vector<float>(P1));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(P2));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(P3));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(P4));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(P5));
        p = Vector.FusedMultiplyAdd(p, r * r, r + Vector<float>.One);
        // 2^n through the exponent bits, n in [-126, 128]; n = 128 (x near ln(FLT_MAX), where p < 1 keeps the
        // product finite) has no float, so it is 2^127 times an extra 2.
        var ni = Vector.ConvertToInt32(n);
        var top = Vector.GreaterThan(ni, new Vector<int>(127));
        var bits = Vector.ShiftLeft(Vector.Min(ni, new Vector<int>(127)) + new Vector<int>(127), 23);
        var y = p * Vector.AsVectorSingle(bits);
        y = Vector.ConditionalSelect(Vector.AsVectorSingle(top), y * new Vector<float>(2f), y);
        y = Vector.ConditionalSelect(Vector.LessThan(x, new Vector<float>(Lo)), Vector<float>.Zero, y);
        y = Vector.ConditionalSelect(Vector.GreaterThan(x, new Vector<float>(Hi)), new Vector<float>(float.PositiveInfinity), y);
        return Vector.ConditionalSelect(Vector.Equals(x, x), y, x); // NaN stays NaN
    }
}
