namespace MantisNative.Backends.Cpu;

/// <summary>
/// The error function in double precision (.NET has none): Maclaurin series below |x| = 3 (terms stop
/// under 1e-17; cancellation costs at most ~3 digits there), a continued fraction for erfc above.
/// Accurate to ~1e-13 absolute, far below fp32 resolution.
/// </summary>
internal static class Erf
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const int MaxTerms = 100;

    // 1/n and 1/(2n+1): the series multiplies by these instead of dividing (a division has ~4x the latency
    // of a multiply and sits on the loop's dependency chain; GELU-erf ran this per element). The products
    // differ from the quotients by an ulp of a double, far below the ~1e-13 the series is accurate to.
    private static readonly double[] InvN = Reciprocals(n => n);
    private static readonly double[] InvOdd = Reciprocals(n => 2 * n + 1);

    private static double[] Reciprocals(Func<int, int> denominator)
    {
        var r = new double[MaxTerms];
        for (int n = 1; n < MaxTerms; n++) r[n] = 1.0 / denominator(n);
        return r;
    }

    public static double Compute(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        if (ax >= 6) return Math.Sign(x);
        if (ax < 3)
        {
            double x2 = x * x, term = x, sum = x;
            double[] invN = InvN, invOdd = InvOdd;
            for (int n = 1; n < MaxTerms; n++)
            {
                term *= -x2 * invN[n];
                double t = term * invOdd[n];
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
