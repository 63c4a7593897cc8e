namespace MantisNative.Backends.Cpu.Quantized;

/// <summary>Weight-only quantization formats for frozen [out, in] matrices (docs/quantization.md).</summary>
public enum QuantizedFormat
{
    /// <summary>Symmetric int8 codes, one float scale per block of a row (block = whole row: per output channel).</summary>
    Int8,
    /// <summary>4-bit NormalFloat (QLoRA): codes index <see cref="Nf4Codebook"/>, one float absmax per block of a row.</summary>
    Nf4,
}

/// <summary>QLoRA's NF4 code table: quantiles of N(0, 1) scaled to [-1, 1], with an exact 0 (Dettmers et al. 2023).</summary>
internal static class Nf4Codebook
{
    public static readonly float[] Values =
    [
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
        -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
        0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
        0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
    ];

    /// <summary>Midpoints between neighbouring values: the decision boundaries of the encoder (as bitsandbytes').</summary>
    private static readonly float[] Midpoints = Enumerable.Range(0, 15).Select(i => 0.5f * (Values[i] + Values[i + 1])).ToArray();

    /// <summary>The code of the nearest table value to <paramref name="v"/> (in [-1, 1]); ties go to the smaller code.</summary>
    public static byte Nearest(float v)
    {
        // the number of midpoints below v, by binary search (4 comparisons instead of 15)
        int lo = 0, hi = 15;
        while (lo < hi)
        {
            int mid = (lo + hi) >> 1;
            if (v > Midpoints[mid]) lo = mid + 1; else hi = mid;
        }
        return (byte)lo;
    }
}
