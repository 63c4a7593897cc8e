using System.Runtime.InteropServices;
using MantisNative.Backends;
using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>
/// One parameter's AdamW moments as saved: the raw bits of m and v in their <see cref="Format"/> (F32, BF16 or the
/// 8-bit codes) and, for 8-bit, the fp32 absmax per block of each. A checkpoint stores exactly these, so a resume in
/// the same format continues bit-equal; <see cref="Convert"/> changes format (decode to fp32, then encode: bf16 by
/// round-to-nearest-even, 8-bit by nearest map entry), which is what a resume with other optimizer_states does.
/// </summary>
public sealed record MomentState(string Name, MomentFormat Format, long Numel, byte[] M, byte[] V, float[]? MScale, float[]? VScale)
{
    public static MomentState FromFp32(string name, float[] m, float[] v)
    {
        if (m.Length != v.Length) throw new MantisException($"AdamW: saved moments of {name} have {m.Length} and {v.Length} values");
        return new MomentState(name, MomentFormat.Fp32, m.Length, MemoryMarshal.AsBytes(m.AsSpan()).ToArray(), MemoryMarshal.AsBytes(v.AsSpan()).ToArray(), null, null);
    }

    /// <summary>The moments decoded to fp32.</summary>
    public (float[] M, float[] V) Decode() => Format switch
    {
        MomentFormat.Fp32 => (MemoryMarshal.Cast<byte, float>(M).ToArray(), MemoryMarshal.Cast<byte, float>(V).ToArray()),
        MomentFormat.Bf16 => (FromBf16(M), FromBf16(V)),
        _ => (MomentCodec.Decode8Bit(M, MScale ?? throw NoScale(), signed: true), MomentCodec.Decode8Bit(V, VScale ?? throw NoScale(), signed: false)),
    };

    /// <summary>The same moments in <paramref name="format"/> (itself when it already is).</summary>
    public MomentState Convert(MomentFormat format)
    {
        if (format == Format) return this;
        var (m, v) = Decode();
        switch (format)
        {
            case MomentFormat.Fp32: return FromFp32(Name, m, v);
            case MomentFormat.Bf16: return new MomentState(Name, format, Numel, ToBf16(m), ToBf16(v), null, null);
            default:
                var (mc, ms) = MomentCodec.Encode8Bit(m, signed: true);
                var (vc, vs) = MomentCodec.Encode8Bit(v, signed: false);
                return new MomentState(Name, format, Numel, mc, vc, ms, vs);
        }
    }

    /// <summary>Checks that the raw arrays have the sizes the format and <see cref="Numel"/> need (a damaged file names the parameter).</summary>
    public MomentState Validate(string where)
    {
        long bytes = Format switch { MomentFormat.Fp32 => 4 * Numel, MomentFormat.Bf16 => 2 * Numel, _ => Numel };
        bool ok = M.Length == bytes && V.Length == bytes
                  && (Format != MomentFormat.Blockwise8Bit || (MScale?.Length == MomentCodec.Blocks(Numel) && VScale?.Length == MomentCodec.Blocks(Numel)));
        return ok ? this : throw new MantisException($"{where}: the saved {Format} moments of {Name} do not have the sizes of {Numel} values");
    }

    private static Exception NoScale() => new MantisException("AdamW: 8-bit moments without their absmax");

    private static float[] FromBf16(byte[] raw)
    {
        var h = MemoryMarshal.Cast<byte, ushort>(raw);
        var r = new float[h.Length];
        FloatConversion.FromBFloat16(h, r);
        return r;
    }

    private static byte[] ToBf16(float[] values)
    {
        var h = new ushort[values.Length];
        FloatConversion.ToBFloat16(values, h);
        return MemoryMarshal.AsBytes(h.AsSpan()).ToArray();
    }
}
