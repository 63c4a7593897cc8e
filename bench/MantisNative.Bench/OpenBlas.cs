using System.Runtime.InteropServices;

namespace MantisNative.Bench;

/// <summary>
/// OpenBLAS as the CPU GEMM peer (Debian libopenblas0-pthread). Bench-only: the library never links it.
/// </summary>
internal static unsafe class OpenBlas
{
    private const string Lib = "libopenblas.so.0";
    public const int RowMajor = 101, NoTrans = 111, Trans = 112;

    [DllImport(Lib)] public static extern void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);
    [DllImport(Lib)] public static extern void openblas_set_num_threads(int threads);
    [DllImport(Lib)] public static extern int openblas_get_num_threads();
    [DllImport(Lib)] private static extern IntPtr openblas_get_config();
    [DllImport(Lib)] private static extern IntPtr openblas_get_corename();

    public static bool Available()
    {
        try { openblas_get_num_threads(); return true; }
        catch (DllNotFoundException) { return false; }
    }

    public static string Describe() =>
        $"{Marshal.PtrToStringAnsi(openblas_get_config())} (core {Marshal.PtrToStringAnsi(openblas_get_corename())})";

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
        => cblas_sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
