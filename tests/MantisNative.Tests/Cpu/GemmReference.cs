namespace MantisNative.Tests.Cpu;

/// <summary>Plain double-precision GEMM and the error measure the GEMM tests use.</summary>
internal static class GemmReference
{
    /// <summary>C = alpha * op(A) * op(B) + beta * C in double (beta == 0: C's old contents ignored).</summary>
    public static double[] Sgemm(bool transA, bool transB, int m, int n, int k, double alpha,
        float[] a, int lda, float[] b, int ldb, double beta, float[] c, int ldc)
    {
        var r = new double[(long)Math.Max(0, m - 1) * ldc + n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                r[i * ldc + j] = beta == 0 ? alpha * s : alpha * s + beta * c[i * ldc + j];
            }
        return r;
    }

    /// <summary>||got - want||_F / ||want||_F over the m x n window (absolute when want is all zero).</summary>
    public static double RelativeError(float[] got, double[] want, int m, int n, int ldc, int offset = 0)
    {
        double num = 0, den = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double w = want[i * ldc + j], d = got[offset + i * ldc + j] - w;
                num += d * d; den += w * w;
            }
        return den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
    }

    public static float[] Random(Random rng, long count)
    {
        var x = new float[count];
        for (long i = 0; i < count; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}
