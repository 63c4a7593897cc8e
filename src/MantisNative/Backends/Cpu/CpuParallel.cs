namespace MantisNative.Backends.Cpu;

/// <summary>
/// The CPU engine's thread count and parallel loop. MANTIS_NUM_THREADS overrides the default
/// (all logical processors); every CPU op splits its work through <see cref="For"/>.
/// </summary>
/// <remarks>
/// Work runs on a persistent pool (<see cref="CpuWorkerPool"/>) rather than Parallel.For: a GEMM issues
/// a few fork-joins per call and attention issues many small ones, and the thread pool's per-call cost
/// (task objects, work-stealing queues, injection delays) is visible at those sizes. Nested calls
/// (a body that calls For again) and calls that find the pool busy run inline on the calling thread.
/// </remarks>
internal static class CpuParallel
{
    private static int _threads = ReadDefault();

    public static int Threads
    {
        get => _threads;
        set => _threads = Math.Max(1, value);
    }

    private static int ReadDefault()
    {
        var env = Environment.GetEnvironmentVariable("MANTIS_NUM_THREADS");
        return int.TryParse(env, out var n) && n > 0 ? n : Environment.ProcessorCount;
    }

    /// <summary>Runs body(i) for i in [0, count), spread over the engine's threads; inline when one thread or one item.</summary>
    public static void For(int count, Action<int> body) => For(count, body, _threads);

    /// <summary>As <see cref="For(int, Action{int})"/>, using at most maxThreads threads.</summary>
    internal static void For(int count, Action<int> body, int maxThreads)
    {
        if (count <= 0) return;
        int threads = Math.Min(Math.Min(maxThreads, _threads), count);
        if (threads <= 1 || CpuWorkerPool.InParallelRegion)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        CpuWorkerPool.Run(count, body, threads);
    }

    /// <summary>Splits [0, count) into contiguous ranges, one or more per thread, and runs body(start, end) on each.</summary>
    public static void ForRange(int count, int minChunk, Action<int, int> body)
    {
        if (count <= 0) return;
        int chunks = Math.Min(_threads * 4, Math.Max(1, count / Math.Max(1, minChunk)));
        if (chunks <= 1) { body(0, count); return; }
        For(chunks, c =>
        {
            int start = (int)((long)count * c / chunks), end = (int)((long)count * (c + 1) / chunks);
            if (end > start) body(start, end);
        });
    }
}
