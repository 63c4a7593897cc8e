namespace MantisNative.Backends.Cuda;

/// <summary>A grid or block size.</summary>
internal readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    public static implicit operator Dim3(uint x) => new(x);
    public static implicit operator Dim3(int x) => new(checked((uint)x));
}

/// <summary>
/// Launch geometry chosen on the host. Every elementwise kernel walks its range with a grid stride, so the grid
/// only needs to fill the GPU: a few blocks per SM, never more than the work needs.
/// </summary>
internal static class LaunchGeometry
{
    public const int DefaultBlock = 256;
    public const int BlocksPerSm = 8;

    /// <summary>Blocks for n elements with a grid-stride loop: ceil(n / block), capped at BlocksPerSm per SM, at least 1.</summary>
    public static uint GridStrideBlocks(long n, int block, int multiprocessors)
    {
        if (block <= 0) throw new ArgumentOutOfRangeException(nameof(block));
        long needed = (Math.Max(n, 1) + block - 1) / block;
        long cap = (long)Math.Max(multiprocessors, 1) * BlocksPerSm;
        return (uint)Math.Clamp(needed, 1, Math.Min(cap, int.MaxValue));
    }

    /// <summary>
    /// The deterministic scatter-add of embedding_backward: each block owns <c>RowsPerBlock</c> consecutive table
    /// rows and reads every token id, so the grid is a few blocks per SM (more blocks: more id reads, more
    /// parallelism), threads up to 256 over the row's columns.
    /// </summary>
    public static (uint Blocks, int Threads, int RowsPerBlock) TableScatter(int tableRows, int dim, int multiprocessors)
    {
        long blocks = Math.Clamp(tableRows, 1, (long)Math.Max(multiprocessors, 1) * 4);
        int rowsPerBlock = (int)((Math.Max(tableRows, 1) + blocks - 1) / blocks);
        return ((uint)blocks, Math.Min(RowThreads(dim), DefaultBlock), rowsPerBlock);
    }

    /// <summary>Blocks for row kernels (one block per row, blocks walk rows with a stride).</summary>
    public static uint RowBlocks(long rows, int multiprocessors) => GridStrideBlocks(rows, 1, multiprocessors);

    /// <summary>Threads per block for a row of <paramref name="cols"/> elements: a multiple of 32 in [32, 1024].</summary>
    public static int RowThreads(int cols)
    {
        int t = 32;
        while (t < cols && t < 1024) t *= 2;
        return Math.Min(t, 1024);
    }

    public static uint CeilDiv(long n, long d) => checked((uint)((n + d - 1) / d));
}
