
namespace MantisNative.Backends.Cpu;

/// <summary>
/// Elementwise kernels with broadcasting over trailing dimensions: b has `inner` elements and repeats
/// over a's `outer` leading blocks (inner == a's size when shapes are equal).
/// </summary>
internal static unsafe class Elementwise
{
    private const int Chunk = 1 << 14;

    public static void Add(float* a, long outer, long inner, float* b, float* y) =>
        Blocks(a, outer, inner, b, y, static (x, z, o) => TensorPrimitives.Add(x, z, o));

    public static void Mul(float* a, long outer, long inner, float* b, float* y) =>
        Blocks(a, outer, inner, b, y, static (x, z, o) => TensorPrimitives.Multiply(x, z, o));

    private delegate void Binary(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> y);

    private static void Blocks(float* a, long outer, long inner, float* b, float* y, Binary op)
    {
        nint pa = (nint)a, pb = (nint)b, py = (nint)y;
        if (outer == 1)
        {
            // one long vector: split it in chunks across threads
            int chunks = (int)((inner + Chunk - 1) / Chunk);
            CpuParallel.For(chunks, c =>
            {
                long s = (long)c * Chunk; int n = (int)Math.Min(Chunk, inner - s);
                op(new ReadOnlySpan<float>((float*)pa + s, n), new ReadOnlySpan<float>((float*)pb + s, n), new Span<float>((float*)py + s, n));
            });
            return;
        }
        CpuParallel.ForRange((int)outer, Math.Max(1, (int)(Chunk / Math.Max(1, inner))), (o0, o1) =>
        {
            for (long o = o0; o < o1; o++)
                op(new ReadOnlySpan<float>((float*)pa + o * inner, (int)inner), new ReadOnlySpan<float>((float*)pb, (int)inner),
                   new Span<float>((float*)py + o * inner, (int)inner));
        });
    }

    /// <summary>Sums the `outer` blocks of g into one block of `inner` (the gradient of a broadcast operand).</summary>
    public static void SumBlocks(float* g, long outer, long inner, float* dst)
    {
        var d = new Span<float>(dst, (int)inner);
        d.Clear();
        for (long o = 0; o < outer; o++) TensorPrimitives.Add(d, new ReadOnlySpan<float>(g + o * inner, (int)inner), d);
    }

    /// <summary>Sums of g * a over the outer blocks (the gradient of a broadcast factor in a product).</summary>
    public static void SumProductBlocks(float* g, float* a, long outer, long inner, float* dst)
    {
        var d = new Span<float>(dst, (int)inner);
        d.Clear();
        var tmp = new float[inner];
        for (long o = 0; o < outer; o++)
        {
            TensorPrimitives.Multiply(new ReadOnlySpan<float>(g + o * inner, (int)inner), new ReadOnlySpan<float>(a + o * inner, (int)inner), tmp);
            TensorPrimitives.Add(d, tmp, d);
        }
    }
}
