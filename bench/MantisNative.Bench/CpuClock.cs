using System.Runtime.InteropServices;

namespace MantisNative.Bench;

/// <summary>
/// CPU-time clocks (clock_gettime). On a machine shared with other processes, wall time measures the
/// neighbours too; the CPU time our threads actually got is the steadier basis for tuning.
/// </summary>
internal static class CpuClock
{
    private const int ProcessCpuTime = 2, ThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Sec, Nsec; }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec ts);

    private static double Read(int clock) => ClockGetTime(clock, out var ts) == 0 ? ts.Sec + ts.Nsec * 1e-9 : double.NaN;

    /// <summary>Seconds of CPU the calling thread has used.</summary>
    public static double Thread() => Read(ThreadCpuTime);

    /// <summary>Seconds of CPU all threads of this process have used.</summary>
    public static double Process() => Read(ProcessCpuTime);
}
