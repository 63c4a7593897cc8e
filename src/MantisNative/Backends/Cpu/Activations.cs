namespace MantisNative.Backends.Cpu;

/// <summary>Scalar GELU forms (exact erf in double; the SIMD forms are in <see cref="VectorActivations"/>) and a parallel chunk loop.</summary>
internal static unsafe class Activations
{
    private const double SqrtTwoOverPi = 0.7978845608028654;
    private const double InvSqrt2 = 0.7071067811865476;
    private const double InvSqrt2Pi = 0.3989422804014327;

    public static float Gelu(GeluKind kind, float xf)
    {
        double x = xf;
        switch (kind)
        {
            case GeluKind.Erf: return (float)(0.5 * x * (1 + Erf.Compute(x * InvSqrt2)));
            case GeluKind.Tanh: return (float)(0.5 * x * (1 + Math.Tanh(SqrtTwoOverPi * (x + 0.044715 * x * x * x))));
            default: return (float)(x / (1 + Math.Exp(-1.702 * x)));
        }
    }

    public static float GeluGrad(GeluKind kind, float xf)
    {
        double x = xf;
        switch (kind)
        {
            case GeluKind.Erf: return (float)(0.5 * (1 + Erf.Compute(x * InvSqrt2)) + x * InvSqrt2Pi * Math.Exp(-0.5 * x * x));
            case GeluKind.Tanh:
            {
                double t = Math.Tanh(SqrtTwoOverPi * (x + 0.044715 * x * x * x));
                return (float)(0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SqrtTwoOverPi * (1 + 3 * 0.044715 * x * x));
            }
            default:
            {
                double s = 1 / (1 + Math.Exp(-1.702 * x));
                return (float)(s + 1.702 * x * s * (1 - s));
            }
        }
    }

    /// <summary>Runs body over [0, n) in parallel chunks.</summary>
    public static void Map(long n, Action<long, long> body)
    {
        const int chunk = 8192;
        int chunks = (int)((n + chunk - 1) / chunk);
        CpuParallel.For(chunks, c => body((long)c * chunk, Math.Min(n, (long)(c + 1) * chunk)));
    }
}
