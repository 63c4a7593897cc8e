using System.Runtime.CompilerServices;

namespace MantisNative.Tensors;

/// <summary>
/// bf16 and f16 to and from f32. bf16 rounds to nearest, ties to even; NaN stays NaN (quiet), infinities
/// and signed zeros are kept, subnormals are rounded like any other value. f16 uses System.Half (IEEE, RNE).
/// </summary>
public static class FloatConversion
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort ToBFloat16(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        if ((bits & 0x7FFF_FFFFu) > 0x7F80_0000u) return (ushort)((bits >> 16) | 0x0040); // NaN: keep sign and payload top, force quiet
        uint lsb = (bits >> 16) & 1u;
        bits += 0x7FFFu + lsb;
        return (ushort)(bits >> 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float FromBFloat16(ushort h) => BitConverter.UInt32BitsToSingle((uint)h << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort ToFloat16(float f) => BitConverter.HalfToUInt16Bits((Half)f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float FromFloat16(ushort h) => (float)BitConverter.UInt16BitsToHalf(h);

    public static void ToBFloat16(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        for (int i = 0; i < src.Length; i++) dst[i] = ToBFloat16(src[i]);
    }

    public static void FromBFloat16(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        for (int i = 0; i < src.Length; i++) dst[i] = FromBFloat16(src[i]);
    }

    public static void ToFloat16(ReadOnlySpan<float> src, Span<ushort> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        for (int i = 0; i < src.Length; i++) dst[i] = ToFloat16(src[i]);
    }

    public static void FromFloat16(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length < src.Length) throw new ArgumentException("destination too short");
        for (int i = 0; i < src.Length; i++) dst[i] = FromFloat16(src[i]);
    }
}
