namespace MantisNative.Backends.Cpu;

/// <summary>
/// Row-parallel loops whose threads each sum a per-chunk partial (for weight gradients of norms):
/// the partials are added in chunk order afterwards, so results do not depend on thread timing.
/// </summary>
internal static class RowChunks
{
    public static int Count(int rows) => Math.Max(1, Math.Min(rows, CpuParallel.Threads * 4));

    public static (int Start, int End) Range(int rows, int chunks, int c) =>
        ((int)((long)rows * c / chunks), (int)((long)rows * (c + 1) / chunks));

    /// <summary>Runs body(chunk, start, end, partial) per chunk, then sums the partials into <paramref name="dst"/>.</summary>
    public static void ReduceInto(int rows, int width, Span<float> dst, Action<int, int, float[]> body)
    {
        int chunks = Count(rows);
        var partials = new float[chunks][];
        CpuParallel.For(chunks, c =>
        {
            var p = new float[width];
            var (s, e) = Range(rows, chunks, c);
            body(s, e, p);
            partials[c] = p;
        });
        dst.Clear();
        foreach (var p in partials) TensorPrimitives.Add(dst, p, dst);
    }
}
