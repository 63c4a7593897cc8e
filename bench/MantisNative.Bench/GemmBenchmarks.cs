using BenchmarkDotNet.Attributes;
using MantisNative.Backends.Cpu;

namespace MantisNative.Bench;

/// <summary>
/// SGEMM, ours vs OpenBLAS cblas_sgemm, same operands and thread count (MANTIS_NUM_THREADS or all cores).
/// GFLOP/s = 2*M*N*K*batch / mean time; the `gemm-quick` mode prints it directly.
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private GemmOperands _ops = null!;

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = null!;

    public static IEnumerable<GemmShape> Shapes => GemmShape.All;

    [GlobalSetup]
    public void Setup()
    {
        _ops = new GemmOperands(Shape);
        if (OpenBlas.Available()) OpenBlas.openblas_set_num_threads(CpuParallel.Threads);
    }

    [GlobalCleanup]
    public void Cleanup() => _ops.Dispose();

    [Benchmark(Baseline = true)]
    public void Ours() => _ops.RunOurs();

    [Benchmark]
    public void OpenBLAS() => _ops.RunOpenBlas();
}
