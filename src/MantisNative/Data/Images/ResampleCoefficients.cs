using System.Collections.Concurrent;

namespace MantisNative.Data.Images;

/// <summary>
/// The per-output-pixel filter taps of one axis, computed as Pillow's <c>precompute_coeffs</c> and
/// <c>normalize_coeffs_8bpc</c> do: double weights normalised to sum 1, then rounded (half away from zero)
/// to fixed point with <see cref="PrecisionBits"/> fractional bits.
/// </summary>
internal sealed class ResampleCoefficients
{
    /// <summary>32 - 8 - 2: 8 bits for the value, 2 for overshoot of negative lobes, as in Pillow.</summary>
    public const int PrecisionBits = 32 - 8 - 2;

    public int InSize { get; }
    public int OutSize { get; }

    /// <summary>Taps reserved per output pixel (the stride of <see cref="Weights"/>).</summary>
    public int KSize { get; }

    /// <summary>First input index of output i's taps.</summary>
    public int[] Start { get; }

    /// <summary>Number of taps used by output i (at most KSize).</summary>
    public int[] Counts { get; }

    /// <summary>Fixed-point weights: output i's taps at [i * KSize, i * KSize + Counts[i]).</summary>
    public int[] Weights { get; }

    private ResampleCoefficients(int inSize, int outSize, int ksize, int[] start, int[] counts, int[] weights)
    {
        InSize = inSize;
        OutSize = outSize;
        KSize = ksize;
        Start = start;
        Counts = counts;
        Weights = weights;
    }

    // Image sizes repeat (a dataset of 640x480 photos, a fixed 384 target): computing the taps once per
    // (in, out, filter) saves the filter evaluations. Bounded so a dataset of all-different sizes cannot grow it forever.
    private static readonly ConcurrentDictionary<(int, int, PilResample), ResampleCoefficients> Cache = new();
    private const int CacheLimit = 1024;

    public static ResampleCoefficients Get(int inSize, int outSize, PilResample filter)
    {
        var key = (inSize, outSize, filter);
        if (Cache.TryGetValue(key, out var c)) return c;
        c = Compute(inSize, outSize, filter);
        if (Cache.Count >= CacheLimit) Cache.Clear();
        Cache[key] = c;
        return c;
    }

    /// <summary>Pillow's precompute_coeffs for the box (0, inSize), followed by normalize_coeffs_8bpc.</summary>
    public static ResampleCoefficients Compute(int inSize, int outSize, PilResample filter)
    {
        if (inSize <= 0 || outSize <= 0) throw new ArgumentOutOfRangeException(nameof(outSize), $"resize {inSize} -> {outSize}: sizes must be positive");
        float in0 = 0f, in1 = inSize;
        double scale = (double)(in1 - in0) / outSize;
        double filterscale = scale < 1.0 ? 1.0 : scale;   // shrinking widens the filter (antialias); enlarging does not
        double support = ResampleFilter.Support(filter) * filterscale;
        int ksize = (int)Math.Ceiling(support) * 2 + 1;

        var start = new int[outSize];
        var counts = new int[outSize];
        var weights = new int[checked(outSize * ksize)];
        var k = new double[ksize];

        for (int xx = 0; xx < outSize; xx++)
        {
            double center = in0 + (xx + 0.5) * scale;
            double ww = 0.0;
            double ss = 1.0 / filterscale;
            int xmin = (int)(center - support + 0.5);       // C's (int) truncates toward zero, as C#'s cast does
            if (xmin < 0) xmin = 0;
            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            for (int x = 0; x < xmax; x++)
            {
                double w = ResampleFilter.Evaluate(filter, (x + xmin - center + 0.5) * ss);
                k[x] = w;
                ww += w;
            }
            for (int x = 0; x < xmax; x++)
            {
                if (ww != 0.0) k[x] /= ww;
            }
            for (int x = 0; x < xmax; x++)
            {
                double v = k[x] * (1 << PrecisionBits);
                weights[xx * ksize + x] = k[x] < 0 ? (int)(-0.5 + v) : (int)(0.5 + v);
            }
            start[xx] = xmin;
            counts[xx] = xmax;
        }
        return new ResampleCoefficients(inSize, outSize, ksize, start, counts, weights);
    }
}
