using System.Runtime.ExceptionServices;

namespace MantisNative.Backends.Cpu;

/// <summary>
/// Persistent worker threads behind <see cref="CpuParallel.For(int, Action{int})"/>. One job at a time:
/// the caller publishes (body, count), wakes as many workers as it needs, takes indices itself from the
/// same atomic counter, and waits until every woken worker has checked out.
/// </summary>
/// <remarks>
/// Workers (and the waiting caller) spin for up to <see cref="SpinMicroseconds"/> before they block. A GEMM
/// issues one fork-join per K step, a millisecond or less apart; a worker that blocks in between must be
/// woken again every step (futex, and on a virtual machine an IPI to a halted vCPU: tens of microseconds or
/// more), during which the caller works alone. OpenBLAS's threads spin for the same reason. After the
/// first 30 us the spinner yields (see <see cref="Pause"/>) so it does not starve a busy core; an idle
/// engine sleeps after the window.
/// </remarks>
internal static class CpuWorkerPool
{
    private const int SpinMicroseconds = 300;
    private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

    private static readonly object Gate = new();
    private static readonly SemaphoreSlim Wake = new(0);
    private static readonly ManualResetEventSlim Done = new(false);
    private static readonly List<Thread> Workers = new();

    private static Action<int>? _body;
    private static int _count;
    private static int _next;
    private static int _pending;
    private static Exception? _error;

    [ThreadStatic] private static bool _inRegion;

    /// <summary>True on a pool worker, or on a caller while its job runs: nested loops then run inline.</summary>
    public static bool InParallelRegion => _inRegion;

    public static void Run(int count, Action<int> body, int threads)
    {
        // Another thread owns the pool (two hosts calling ops concurrently): don't queue behind it.
        if (!Monitor.TryEnter(Gate))
        {
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
            return;
        }
        try
        {
            EnsureWorkers(threads - 1);
            _body = body;
            _count = count;
            _next = 0;
            _error = null;
            int helpers = threads - 1;
            _pending = helpers;
            Wake.Release(helpers); // full fence: the job fields above are visible to woken workers

            _inRegion = true;
            try { Drain(body, count); }
            finally { _inRegion = false; }

            long spinUntil = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref _pending) != 0 && System.Diagnostics.Stopwatch.GetTimestamp() < spinUntil) Pause(spinUntil);
            // _pending is the truth, the event only a wake-up: a worker of the previous job can be preempted
            // between its decrement and its Set, so a Set may arrive late, during this job.
            while (Volatile.Read(ref _pending) != 0)
            {
                Done.Wait();
                Done.Reset();
            }
            _body = null;
            if (_error is { } e) ExceptionDispatchInfo.Capture(e).Throw();
        }
        finally { Monitor.Exit(Gate); }
    }

    /// <summary>
    /// One wait step: busy for the first part of the window, then sched_yield, so that on a core shared
    /// with other runnable threads (our own caller, or other processes) the spinner gives the core away
    /// instead of burning its time slice, yet still notices new work within microseconds.
    /// </summary>
    private static void Pause(long spinUntil)
    {
        if (spinUntil - System.Diagnostics.Stopwatch.GetTimestamp() > SpinTicks * 9 / 10) Thread.SpinWait(20);
        else Thread.Yield();
    }

    private static void Drain(Action<int> body, int count)
    {
        try
        {
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < count) body(i);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, e, null);
            Volatile.Write(ref _next, count); // stop handing out work
        }
    }

    private static void EnsureWorkers(int needed)
    {
        while (Workers.Count < needed)
        {
            var t = new Thread(WorkerLoop) { IsBackground = true, Name = $"mantis-cpu-{Workers.Count + 1}" };
            Workers.Add(t);
            t.Start();
        }
    }

    private static void WorkerLoop()
    {
        _inRegion = true;
        while (true)
        {
            // Spin on the count first (a Release while we spin just leaves a count for Wait to take).
            long spinUntil = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
            while (Wake.CurrentCount == 0 && System.Diagnostics.Stopwatch.GetTimestamp() < spinUntil) Pause(spinUntil);
            Wake.Wait();
            var body = _body!;
            Drain(body, _count);
            if (Interlocked.Decrement(ref _pending) == 0) Done.Set();
        }
    }
}
