namespace MantisNative.Bench;

/// <summary>
/// One GEMM problem as the model issues it: C[M x N] = A[M x K] * op(B). Linear layers store weights
/// [out, in], so their B is transposed (TransB); square problems are plain NN.
/// </summary>
public sealed record GemmShape(string Name, int M, int K, int N, bool TransB, int Batch = 1)
{
    public double Flops => 2.0 * M * N * K * Batch;
    public override string ToString() => Name;

    public static readonly GemmShape[] Square =
    {
        new("square 256", 256, 256, 256, false),
        new("square 1024", 1024, 1024, 1024, false),
        new("square 2048", 2048, 2048, 2048, false),
    };

    public static readonly GemmShape[] Model =
    {
        new("llama3-8b q/o (T=512)", 512, 4096, 4096, true),
        new("llama3-8b gate/up (T=512)", 512, 4096, 14336, true),
        new("llama3-8b down (T=512)", 512, 14336, 4096, true),
        new("siglip-so400m qkv/o", 729, 1152, 1152, true),
        new("siglip-so400m fc1", 729, 1152, 4304, true),
        new("siglip-so400m fc2", 729, 4304, 1152, true),
        new("tiny linear 32x128x128", 32, 128, 128, true),
        new("tiny batched 32x(32x128x128)", 32, 128, 128, false, Batch: 32),
        new("decode gemv 1x4096x4096", 1, 4096, 4096, true),
    };

    public static IEnumerable<GemmShape> All => Square.Concat(Model);
}
