using BenchmarkDotNet.Attributes;
using MantisNative.Backends.Cpu;

namespace MantisNative.Bench;

/// <summary>
/// SGEMM, ours vs OpenBLAS cblas_sgemm, same operands and thread count (MANTIS_NUM_THREADS or all cores).
/// GFLOP/s = 2*M*N*K*batch / mean time; the `gemm-quick` mode prints it directly. One class per shape
/// family so `--filter *GemmSquare*` etc. pick a subset (BDN cannot filter by parameter value).
/// </summary>
[MemoryDiagnoser]
public abstract class GemmBenchmarkBase
{
    private GemmOperands _ops = null!;

    public abstract GemmShape Shape { get; set; }

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

public class GemmSquareBenchmarks : GemmBenchmarkBase
{
    [ParamsSource(nameof(Shapes))]
    public override GemmShape Shape { get; set; } = null!;
    public static IEnumerable<GemmShape> Shapes => GemmShape.Square;
}

/// <summary>Llama-3-8B projections at 512 tokens and SigLIP so400m (729 patches) layers.</summary>
public class GemmModelBenchmarks : GemmBenchmarkBase
{
    [ParamsSource(nameof(Shapes))]
    public override GemmShape Shape { get; set; } = null!;
    public static IEnumerable<GemmShape> Shapes => GemmShape.Model.Where(s => s.M >= 512);
}

/// <summary>The tiny default model's shapes (single, batched) and a decode-time GEMV.</summary>
public class GemmSmallBenchmarks : GemmBenchmarkBase
{
    [ParamsSource(nameof(Shapes))]
    public override GemmShape Shape { get; set; } = null!;
    public static IEnumerable<GemmShape> Shapes => GemmShape.Model.Where(s => s.M < 512);
}
