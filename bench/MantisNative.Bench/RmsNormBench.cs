using BenchmarkDotNet.Attributes;
using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Bench;

/// <summary>
/// RMSNorm forward on the CPU engine, memory-bound: GB/s = (read x + write y) / time, for the tiny model's
/// training activations (3200 x 128) and Llama-3-8B rows (512 x 4096).
/// </summary>
[MemoryDiagnoser]
public class RmsNormBench
{
    [Params(128, 4096)]
    public int Dim { get; set; }

    private Tensor _x = null!, _w = null!;

    private int Rows => Dim == 128 ? 3200 : 512;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(2);
        _x = Tensor.Randn(new Shape(Rows, Dim), rng);
        _w = Tensor.Randn(new Shape(Dim), rng);
    }

    [Benchmark]
    public void Forward()
    {
        using var _ = Tape.NoGrad();
        using var y = Ops.RmsNorm(_x, _w, 1e-5f);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose(); _w.Dispose();
    }
}
