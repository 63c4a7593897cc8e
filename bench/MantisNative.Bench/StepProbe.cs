using System.Globalization;
using System.Runtime;

namespace MantisNative.Bench;

/// <summary>
/// Counters that can explain a slow training step, read before and after it (MANTIS_STEP_TRACE=1 in
/// train-step): GC collections per generation and pause time, minor/major page faults and voluntary /
/// involuntary context switches of the process (/proc/self/stat, /proc/self/status), JIT-compiled methods.
/// </summary>
internal readonly record struct StepProbe(int Gen0, int Gen1, int Gen2, double GcPauseMs, long MinorFaults, long MajorFaults,
    long VoluntarySwitches, long InvoluntarySwitches, long JitMethods, long AllocatedBytes)
{
    public static StepProbe Read()
    {
        long minflt = 0, majflt = 0, vol = 0, invol = 0;
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            minflt = long.Parse(fields[7], CultureInfo.InvariantCulture); // field 10 of stat(5)
            majflt = long.Parse(fields[9], CultureInfo.InvariantCulture); // field 12
            foreach (var dir in Directory.GetDirectories("/proc/self/task"))
                foreach (var line in File.ReadLines(Path.Combine(dir, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:")) vol += long.Parse(line.Split(':')[1].Trim(), CultureInfo.InvariantCulture);
                    else if (line.StartsWith("nonvoluntary_ctxt_switches:")) invol += long.Parse(line.Split(':')[1].Trim(), CultureInfo.InvariantCulture);
                }
        }
        catch (IOException) { } // not Linux: page faults and switches stay 0
        return new StepProbe(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration().TotalMilliseconds,
            minflt, majflt, vol, invol, System.Runtime.JitInfo.GetCompiledMethodCount(), GC.GetTotalAllocatedBytes());
    }

    public static StepProbe operator -(StepProbe a, StepProbe b) => new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.GcPauseMs - b.GcPauseMs,
        a.MinorFaults - b.MinorFaults, a.MajorFaults - b.MajorFaults, a.VoluntarySwitches - b.VoluntarySwitches,
        a.InvoluntarySwitches - b.InvoluntarySwitches, a.JitMethods - b.JitMethods, a.AllocatedBytes - b.AllocatedBytes);

    public override string ToString() => FormattableString.Invariant(
        $"gc {Gen0}/{Gen1}/{Gen2} pause {GcPauseMs:F1} ms, faults {MinorFaults}/{MajorFaults}, ctxsw {VoluntarySwitches}/{InvoluntarySwitches}, jit {JitMethods}, alloc {AllocatedBytes / 1024} KiB");
}
