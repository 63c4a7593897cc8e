using System.Runtime.InteropServices;
using MantisNative.Backends.Cpu;

namespace MantisNative.Bench;

/// <summary>64-byte aligned random operands for one shape, and the two implementations run on them.</summary>
internal sealed unsafe class GemmOperands : IDisposable
{
    public readonly GemmShape Shape;
    private readonly float* _a, _b, _c;
    private readonly long _sa, _sb, _sc;

    public GemmOperands(GemmShape s)
    {
        Shape = s;
        _sa = (long)s.M * s.K; _sb = (long)s.K * s.N; _sc = (long)s.M * s.N;
        _a = Alloc(_sa * s.Batch); _b = Alloc(_sb * s.Batch); _c = Alloc(_sc * s.Batch);
        var rng = new Random(42);
        for (long i = 0; i < _sa * s.Batch; i++) _a[i] = (float)(rng.NextDouble() - 0.5);
        for (long i = 0; i < _sb * s.Batch; i++) _b[i] = (float)(rng.NextDouble() - 0.5);
        new Span<float>(_c, (int)(_sc * s.Batch)).Clear();
    }

    private static float* Alloc(long n) => (float*)NativeMemory.AlignedAlloc((nuint)(n * sizeof(float)), 64);

    private int Ldb => Shape.TransB ? Shape.K : Shape.N;

    public void RunOurs()
    {
        var s = Shape;
        if (s.Batch == 1) Gemm.Sgemm(false, s.TransB, s.M, s.N, s.K, 1f, _a, s.K, _b, Ldb, 0f, _c, s.N);
        else Gemm.SgemmBatched(s.Batch, false, s.TransB, s.M, s.N, s.K, 1f, _a, s.K, _sa, _b, Ldb, _sb, 0f, _c, s.N, _sc);
    }

    /// <summary>OpenBLAS 0.3.21 has no batched entry point: items go one by one, each using its threads.</summary>
    public void RunOpenBlas()
    {
        var s = Shape;
        for (int i = 0; i < s.Batch; i++)
            OpenBlas.Sgemm(false, s.TransB, s.M, s.N, s.K, 1f, _a + i * _sa, s.K, _b + i * _sb, Ldb, 0f, _c + i * _sc, s.N);
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_a); NativeMemory.AlignedFree(_b); NativeMemory.AlignedFree(_c);
    }
}
