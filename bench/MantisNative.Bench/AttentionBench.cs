using BenchmarkDotNet.Attributes;
using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Bench;

/// <summary>
/// Scaled-dot-product attention forward (and forward + backward) on the CPU engine: the tiny default model's
/// training shape (batch 32, 4 heads over 2 KV heads, 100 tokens, head dim 32, causal) and a SigLIP-so400m image
/// (16 heads, 729 tokens, head dim 72, bidirectional). GFLOP/s = 4*B*H*T*S*D (QK^T and PV) / time.
/// </summary>
[MemoryDiagnoser]
public class AttentionBench
{
    public record Case(string Name, int B, int H, int Hkv, int T, int D, bool Causal)
    {
        public override string ToString() => Name;
    }

    public static IEnumerable<Case> Cases => new[]
    {
        new Case("tiny-train b32 h4/2 t100 d32 causal", 32, 4, 2, 100, 32, true),
        new Case("siglip-so400m h16 t729 d72", 1, 16, 16, 729, 72, false),
        new Case("llama3-8b prefill h32/8 t512 d128", 1, 32, 8, 512, 128, true),
    };

    [ParamsSource(nameof(Cases))]
    public Case Shape { get; set; } = null!;

    private Tensor _q = null!, _k = null!, _v = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Rng(1);
        _q = Tensor.Randn(new Shape(Shape.B, Shape.H, Shape.T, Shape.D), rng);
        _k = Tensor.Randn(new Shape(Shape.B, Shape.Hkv, Shape.T, Shape.D), rng);
        _v = Tensor.Randn(new Shape(Shape.B, Shape.Hkv, Shape.T, Shape.D), rng);
    }

    [Benchmark]
    public void Forward()
    {
        using var _ = Tape.NoGrad();
        using var o = Ops.Attention(_q, _k, _v, Shape.Causal);
    }

    [Benchmark]
    public void ForwardBackward()
    {
        using var scope = new TensorScope();
        _q.RequiresGrad = true;
        var o = Ops.Attention(_q, _k, _v, Shape.Causal);
        Tape.Backward(o, o);
        _q.ZeroGrad();
        _q.RequiresGrad = false;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _q.Dispose(); _k.Dispose(); _v.Dispose();
    }
}
