namespace MantisNative.Bench;

/// <summary>
/// One GEMM problem as the model issues it: C[M x N] = A[M x K] * op(B). Linear layers store weights
/// [out, in], so their B is transposed (TransB); square problems are plain NN. Names are short because
/// BenchmarkDotNet truncates long parameter values: llama-* are Llama-3-8B projections at 512 tokens
/// (q/o, gate/up, down), siglip-* SigLIP so400m layers at 729 patches, tiny-* the tiny default model
/// (one linear; 32 batched items as in attention), gemv-4096 a decode-time matrix-vector product.
/// </summary>
public sealed record GemmShape(string Name, int M, int K, int N, bool TransB, int Batch = 1)
{
    public double Flops => 2.0 * M * N * K * Batch;
    public override string ToString() => Name;

    public static readonly GemmShape[] Square =
    {
        new("sq256", 256, 256, 256, false),
        new("sq1024", 1024, 1024, 1024, false),
        new("sq2048", 2048, 2048, 2048, false),
    };

    public static readonly GemmShape[] Model =
    {
        new("llama-qo", 512, 4096, 4096, true),
        new("llama-gateup", 512, 4096, 14336, true),
        new("llama-down", 512, 14336, 4096, true),
        new("siglip-qkvo", 729, 1152, 1152, true),
        new("siglip-fc1", 729, 1152, 4304, true),
        new("siglip-fc2", 729, 4304, 1152, true),
        new("tiny-linear", 32, 128, 128, true),
        new("tiny-batch32", 32, 128, 128, false, Batch: 32),
        new("gemv-4096", 1, 4096, 4096, true),
    };

    public static IEnumerable<GemmShape> All => Square.Concat(Model);
}
