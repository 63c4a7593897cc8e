using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MantisNative.Backends.Cpu.Quantized;

/// <summary>
/// Unscaled decoding of 16 (AVX-512) or 8 (AVX2) consecutive codes of a row into floats: int8 codes widened,
/// NF4 codes looked up in <see cref="Nf4Codebook"/> with a register permute. <paramref name="col"/> must be even
/// for NF4 (a group starts on a byte). Shared by the fused GEMV and the dequantizing panel packer.
/// </summary>
internal static unsafe class QuantizedDecode
{
    private static readonly Vector512<float> Table512 = Vector512.Create(Nf4Codebook.Values);
    private static readonly Vector256<float> TableLo = Vector256.Create(Nf4Codebook.Values.AsSpan(0, 8));
    private static readonly Vector256<float> TableHi = Vector256.Create(Nf4Codebook.Values.AsSpan(8, 8));

    public static bool Avx512Ok => Avx512F.IsSupported && Avx512BW.IsSupported;
    public static bool Avx2Ok => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>The 16 elements at <paramref name="col"/> of a row whose codes start at <paramref name="rowCodes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Decode16(QuantizedFormat format, byte* rowCodes, int col)
    {
        if (format == QuantizedFormat.Int8)
            return Avx512F.ConvertToVector512Single(Avx512F.ConvertToVector512Int32(Sse2.LoadVector128((sbyte*)rowCodes + col)));
        var idx = Avx512F.ConvertToVector512Int32(Nibbles(Unsafe.ReadUnaligned<ulong>(rowCodes + (col >> 1))));
        return Avx512F.PermuteVar16x32(Table512, idx);
    }

    /// <summary>The 8 elements at <paramref name="col"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Decode8(QuantizedFormat format, byte* rowCodes, int col)
    {
        if (format == QuantizedFormat.Int8)
            return Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32((sbyte*)rowCodes + col));
        var idx = Avx2.ConvertToVector256Int32(Nibbles(Unsafe.ReadUnaligned<uint>(rowCodes + (col >> 1))));
        var lo = Avx2.PermuteVar8x32(TableLo, idx);
        var hi = Avx2.PermuteVar8x32(TableHi, idx);
        return Avx.BlendVariable(lo, hi, Avx2.CompareGreaterThan(idx, Vector256.Create(7)).AsSingle());
    }

    /// <summary>Bytes b0 b1 ... to the codes lo(b0) hi(b0) lo(b1) hi(b1) ... (element order), one per byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Nibbles(ulong packed)
    {
        var v = Vector128.CreateScalar(packed).AsByte();
        var mask = Vector128.Create((byte)0x0F);
        var lo = Sse2.And(v, mask);
        var hi = Sse2.And(Sse2.ShiftRightLogical(v.AsUInt16(), 4).AsByte(), mask);
        return Sse2.UnpackLow(lo, hi);
    }

    /// <summary>One element, unscaled (the scalar reference and the edges of the SIMD loops).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float DecodeOne(QuantizedFormat format, byte* rowCodes, int col)
    {
        if (format == QuantizedFormat.Int8) return (sbyte)rowCodes[col];
        int b = rowCodes[col >> 1];
        return Nf4Codebook.Values[(col & 1) == 0 ? b & 0x0F : b >> 4];
    }
}
