namespace MantisNative.Backends.Cpu;

/// <summary>
/// The error function in double precision (.NET has none): Maclaurin series below |x| = 3 (terms stop
/// under 1e-17; cancellation costs at most ~3 digits there), a continued fraction for erfc above.
/// Accurate to ~1e-13 absolute, far below fp32 resolution.
/// </summary>
internal static class Erf
{
    private const double TwoOverSqrtPi = 1.1283791670955126;

    public static double Compute(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        if (ax >= 6) return Math.Sign(x);
        if (ax < 3)
        {
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 100; n++)
            {
                term *= -x2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.Abs(t) < 1e-17 * Math.Abs(sum)) break;
            }
            return TwoOverSqrtPi * sum;
        }
        // erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) evaluated from the tail
        double k = ax;
        for (int n = 60; n >= 1; n--) k = ax + n * 0.5 / k;
        double erfc = Math.Exp(-ax * ax) / (Math.Sqrt(Math.PI) * k);
        return Math.Sign(x) * (1 - erfc);
    }
}
