namespace MantisNative.Data.Images;

/// <summary>
/// The convolution filters of Pillow's libImaging/Resample.c, written with the same double-precision
/// expressions in the same order so the weights (and so the 8-bit results) come out bit-identical.
/// </summary>
internal static class ResampleFilter
{
    /// <summary>Half-width of the filter at scale 1 (Resample.c's <c>support</c>).</summary>
    public static double Support(PilResample f) => f switch
    {
        PilResample.Box => 0.5,
        PilResample.Bilinear => 1.0,
        PilResample.Hamming => 1.0,
        PilResample.Bicubic => 2.0,
        PilResample.Lanczos => 3.0,
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "no convolution filter for this resample mode"),
    };

    public static double Evaluate(PilResample f, double x) => f switch
    {
        PilResample.Box => Box(x),
        PilResample.Bilinear => Bilinear(x),
        PilResample.Hamming => Hamming(x),
        PilResample.Bicubic => Bicubic(x),
        PilResample.Lanczos => Lanczos(x),
        _ => throw new ArgumentOutOfRangeException(nameof(f), f, "no convolution filter for this resample mode"),
    };

    private static double Box(double x) => x > -0.5 && x <= 0.5 ? 1.0 : 0.0;

    private static double Bilinear(double x)
    {
        if (x < 0.0) x = -x;
        return x < 1.0 ? 1.0 - x : 0.0;
    }

    private static double Hamming(double x)
    {
        if (x < 0.0) x = -x;
        if (x == 0.0) return 1.0;
        if (x >= 1.0) return 0.0;
        x *= Math.PI;
        // Pillow writes 0.54f and 0.46f: float constants widened to double, kept that way for exactness.
        return Math.Sin(x) / x * ((double)0.54f + (double)0.46f * Math.Cos(x));
    }

    // Keys' cubic convolution with a = -0.5 (the Catmull-Rom spline), as Pillow's bicubic_filter.
    private static double Bicubic(double x)
    {
        const double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    private static double Sinc(double x)
    {
        if (x == 0.0) return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    private static double Lanczos(double x) => -3.0 <= x && x < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0;
}
