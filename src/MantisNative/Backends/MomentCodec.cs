using System.Runtime.CompilerServices;

namespace MantisNative.Backends;

/// <summary>How AdamW keeps its two moments (the master weights are fp32 in every format).</summary>
public enum MomentFormat
{
    /// <summary>fp32 m and v (torch.optim.AdamW): 8 bytes per trainable value.</summary>
    Fp32,
    /// <summary>bf16 m and v written with stochastic rounding (<see cref="MomentCodec.StochasticBf16"/>): 4 bytes per value.</summary>
    Bf16,
    /// <summary>bitsandbytes-style 8-bit blockwise moments: one byte per value (an index into the signed dynamic map
    /// for m, the unsigned one for v) and one fp32 absmax per block of <see cref="MomentCodec.BlockSize"/> values.</summary>
    Blockwise8Bit,
}

/// <summary>
/// The arithmetic of the compressed AdamW moments, shared by the CPU primitive and mirrored line by line by
/// kernels/adamw.cu (each function here has a device twin of the same name there).
/// <para>bf16 moments use stochastic rounding, not round-to-nearest: with beta2 = 0.999 the decay of v is 1e-3
/// relative per step, below half a bf16 ulp (2^-9), so RNE rounds 0.999 v back to v and the second moment never
/// decays (the update then shrinks forever after one large gradient). Stochastic rounding is unbiased, so v decays
/// in expectation. The random bits are a hash of (seed, parameter stream, step, element), not a generator state, so a
/// run, its resume and the CPU twin draw the same bits: a resumed run is bit-equal.</para>
/// <para>8-bit moments follow bitsandbytes' blockwise 8-bit Adam (Dettmers et al. 2022, arXiv 2110.02861): per block of
/// 256 values the fp32 absmax is kept and each value is stored as the index of the nearest entry of a 256-entry
/// dynamic-tree map of x / absmax (bitsandbytes' create_dynamic_map: decades 1e-6 .. 1 with finer linear steps
/// towards 1; signed for m, unsigned for v). The update itself runs in fp32 on the dequantized moments; the new
/// moments are requantized with the block's new absmax. Tensors under <see cref="Min8BitElements"/> values (norms,
/// biases) keep fp32 moments, as bitsandbytes' min_8bit_size.</para>
/// </summary>
public static class MomentCodec
{
    /// <summary>Values per absmax block of the 8-bit moments (one CUDA block of 256 threads each).</summary>
    public const int BlockSize = 256;

    /// <summary>Tensors with fewer values keep fp32 moments under <see cref="MomentFormat.Blockwise8Bit"/> (bitsandbytes' min_8bit_size).</summary>
    public const int Min8BitElements = 4096;

    /// <summary>The signed dynamic map (m): 256 sorted values in [-0.99, 1], 0 exactly at index <see cref="SignedZero"/>.</summary>
    public static IReadOnlyList<float> SignedMap => Signed;
    /// <summary>The unsigned dynamic map (v): 256 sorted values in [0, 1], 0 at index 0.</summary>
    public static IReadOnlyList<float> UnsignedMap => Unsigned;

    internal static readonly float[] Signed = DynamicMap(signed: true);
    internal static readonly float[] Unsigned = DynamicMap(signed: false);

    /// <summary>Index of 0 in the signed map.</summary>
    public static int SignedZero => Array.IndexOf(Signed, 0f);

    /// <summary>Bytes the moments of <paramref name="numel"/> values take in <paramref name="format"/> (both moments, absmax included).</summary>
    public static long Bytes(MomentFormat format, long numel) => EffectiveFormat(format, numel) switch
    {
        MomentFormat.Fp32 => 8 * numel,
        MomentFormat.Bf16 => 4 * numel,
        _ => 2 * numel + 2 * 4 * Blocks(numel),
    };

    /// <summary>The format a tensor of <paramref name="numel"/> values really gets (small tensors stay fp32 under 8-bit).</summary>
    public static MomentFormat EffectiveFormat(MomentFormat format, long numel) =>
        format == MomentFormat.Blockwise8Bit && numel < Min8BitElements ? MomentFormat.Fp32 : format;

    /// <summary>Absmax blocks of a tensor of <paramref name="numel"/> values.</summary>
    public static long Blocks(long numel) => (numel + BlockSize - 1) / BlockSize;

    /// <summary>bitsandbytes' create_dynamic_map(signed, max_exponent_bits 7, total_bits 8), computed in double and
    /// stored as float (torch builds it in float32; the entries agree to float rounding).</summary>
    private static float[] DynamicMap(bool signed)
    {
        const int maxExponentBits = 7, totalBits = 8;
        int nonSignBits = totalBits - 1;   // bitsandbytes uses 7 for both (its "1 if signed else 1")
        var data = new List<double>();
        for (int i = 0; i < maxExponentBits; i++)
        {
            int fractionItems = signed ? (1 << (i + nonSignBits - maxExponentBits)) + 1 : (1 << (i + nonSignBits - maxExponentBits + 1)) + 1;
            double scale = Math.Pow(10, -(maxExponentBits - 1) + i);
            for (int k = 0; k + 1 < fractionItems; k++)
            {
                // torch.linspace(0.1, 1, fractionItems), then the means of neighbours
                double a = 0.1 + 0.9 * k / (fractionItems - 1), b = 0.1 + 0.9 * (k + 1) / (fractionItems - 1);
                double mean = (a + b) / 2;
                data.Add(scale * mean);
                if (signed) data.Add(-scale * mean);
            }
        }
        data.Add(0);
        data.Add(1.0);
        while (data.Count < 1 << totalBits) data.Add(0);
        if (data.Count != 1 << totalBits) throw new InvalidOperationException($"dynamic map has {data.Count} entries");
        return data.Select(d => (float)d).Order().ToArray();
    }

    /// <summary>The index of the map entry nearest to <paramref name="x"/> (ties to the lower index): a binary search
    /// for the first entry >= x, then the closer of it and its predecessor. kernels/adamw.cu: quantize_nearest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte QuantizeNearest(float x, ReadOnlySpan<float> map)
    {
        int lo = 0, hi = 255;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (map[mid] < x) lo = mid + 1;
            else hi = mid;
        }
        if (lo > 0 && x - map[lo - 1] <= map[lo] - x) lo--;
        return (byte)lo;
    }

    /// <summary>32 well-mixed bits of (seed, stream, step, index) (murmur3's finalizer, chained): the stochastic rounding
    /// draws of one element at one step. kernels/adamw.cu: sr_bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint RandomBits(uint seed, uint stream, int step, long index)
    {
        uint h = Mix(seed ^ Mix(stream + 0x9E3779B9u * (uint)step));
        return Mix(h ^ (uint)index ^ Mix((uint)(index >> 32) + 0x85EBCA6Bu));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        h ^= h >> 16;
        return h;
    }

    /// <summary>f32 -> bf16 with stochastic rounding: the 16 random bits are added below the kept bits, then truncated, so
    /// x rounds up with probability (its distance from the lower bf16) / ulp. Non-finite values keep RNE's result.
    /// kernels/adamw.cu: f32_to_bf16_stochastic.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort StochasticBf16(float x, uint random16)
    {
        uint u = BitConverter.SingleToUInt32Bits(x);
        if ((u & 0x7F800000u) == 0x7F800000u) return Tensors.FloatConversion.ToBFloat16(x);
        uint r = (u + (random16 & 0xFFFFu)) & 0xFFFF0000u;
        return (ushort)(r >> 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Bf16ToF32(ushort h) => BitConverter.UInt32BitsToSingle((uint)h << 16);

    /// <summary>A stable 32-bit stream id of a parameter name (FNV-1a), so the stochastic rounding draws of a parameter do
    /// not depend on the order parameters are updated in.</summary>
    public static uint StreamOf(string name)
    {
        uint h = 2166136261u;
        foreach (char c in name) { h ^= c; h *= 16777619u; }
        return h;
    }

    /// <summary>Decodes 8-bit moments: map[code] * absmax of the value's block.</summary>
    public static float[] Decode8Bit(ReadOnlySpan<byte> codes, ReadOnlySpan<float> absmax, bool signed)
    {
        var map = signed ? Signed : Unsigned;
        var r = new float[codes.Length];
        for (int i = 0; i < r.Length; i++) r[i] = map[codes[i]] * absmax[i / BlockSize];
        return r;
    }

    /// <summary>Encodes fp32 moments as 8-bit blockwise (absmax per block, nearest map entry): for restoring a checkpoint
    /// saved in another format.</summary>
    public static (byte[] Codes, float[] Absmax) Encode8Bit(ReadOnlySpan<float> values, bool signed)
    {
        var map = signed ? Signed : Unsigned;
        var codes = new byte[values.Length];
        var absmax = new float[Blocks(values.Length)];
        for (int b = 0; b < absmax.Length; b++)
        {
            int i0 = b * BlockSize, i1 = Math.Min(values.Length, i0 + BlockSize);
            float a = 0;
            for (int i = i0; i < i1; i++) a = MathF.Max(a, MathF.Abs(values[i]));
            absmax[b] = a;
            float inv = a > 0 ? 1f / a : 0f;
            for (int i = i0; i < i1; i++) codes[i] = QuantizeNearest(values[i] * inv, map);
        }
        return (codes, absmax);
    }
}
