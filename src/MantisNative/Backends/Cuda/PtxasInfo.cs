using System.Globalization;
using System.Text.RegularExpressions;

namespace MantisNative.Backends.Cuda;

/// <summary>Registers, spills, stack and static shared memory of one kernel, from ptxas' verbose output.</summary>
internal sealed record KernelResourceUsage(string Function, int Registers, int SpillStoreBytes, int SpillLoadBytes, int StackFrameBytes, int SharedBytes)
{
    public bool Spills => SpillStoreBytes > 0 || SpillLoadBytes > 0;
}

/// <summary>
/// Parses `--ptxas-options=-v` output, e.g.
/// <code>
/// ptxas info    : Compiling entry function 'rmsnorm_forward' for 'sm_90a'
/// ptxas info    : Function properties for rmsnorm_forward
/// ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
/// ptxas info    : Used 32 registers, 384 bytes smem
/// </code>
/// and picks compiler warnings out of a log.
/// </summary>
internal static partial class PtxasInfo
{
    [GeneratedRegex(@"Compiling entry function '([^']+)'")]
    private static partial Regex EntryPattern();
    [GeneratedRegex(@"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")]
    private static partial Regex FramePattern();
    [GeneratedRegex(@"Used (\d+) registers")]
    private static partial Regex RegistersPattern();
    [GeneratedRegex(@"(\d+) bytes smem")]
    private static partial Regex SmemPattern();
    [GeneratedRegex(@"\bwarning\b", RegexOptions.IgnoreCase)]
    private static partial Regex WarningPattern();

    public static IReadOnlyList<KernelResourceUsage> Parse(string log)
    {
        var result = new List<KernelResourceUsage>();
        string? fn = null;
        int regs = 0, st = 0, ld = 0, stack = 0, smem = 0;
        bool haveRegs = false;
        void Flush()
        {
            if (fn is not null && haveRegs) result.Add(new KernelResourceUsage(fn, regs, st, ld, stack, smem));
            fn = null; regs = st = ld = stack = smem = 0; haveRegs = false;
        }
        foreach (var line in log.Split('\n'))
        {
            var m = EntryPattern().Match(line);
            if (m.Success) { Flush(); fn = m.Groups[1].Value; continue; }
            if (fn is null) continue;
            m = FramePattern().Match(line);
            if (m.Success)
            {
                stack = Int(m.Groups[1]); st = Int(m.Groups[2]); ld = Int(m.Groups[3]);
                continue;
            }
            m = RegistersPattern().Match(line);
            if (m.Success)
            {
                regs = Int(m.Groups[1]);
                haveRegs = true;
                var s = SmemPattern().Match(line);
                if (s.Success) smem = Int(s.Groups[1]);
                Flush();
            }
        }
        Flush();
        return result.OrderBy(u => u.Function, StringComparer.Ordinal).ToList();
    }

    /// <summary>Log lines that are warnings (front end "warning #..." or "ptxas warning").</summary>
    public static IReadOnlyList<string> Warnings(string log) =>
        log.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => WarningPattern().IsMatch(l)).ToList();

    private static int Int(Group g) => int.Parse(g.Value, NumberStyles.Integer, CultureInfo.InvariantCulture);
}
