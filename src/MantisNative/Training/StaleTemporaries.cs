using System.Diagnostics;
using System.Text.RegularExpressions;

namespace MantisNative.Training;

/// <summary>
/// Checkpoints and the final model are written to <c>NAME.tmp-PID</c> and renamed; a kill or a full disk
/// leaves that folder behind. The next run in the same output folder removes those whose writer is gone.
/// They never look like checkpoints: a checkpoint is exactly <c>checkpoint-N</c>.
/// </summary>
public static partial class StaleTemporaries
{
    [GeneratedRegex(@"^(checkpoint-\d+|model)\.tmp-(\d+)$")]
    private static partial Regex TempName();

    /// <summary>Removes leftover temporary folders in <paramref name="outputDir"/>; returns the ones removed.</summary>
    public static IReadOnlyList<string> Remove(string outputDir)
    {
        var removed = new List<string>();
        if (!Directory.Exists(outputDir)) return removed;
        foreach (var dir in Directory.GetDirectories(outputDir))
        {
            var m = TempName().Match(Path.GetFileName(dir));
            if (!m.Success || !int.TryParse(m.Groups[2].Value, out int pid)) continue;
            if (pid != Environment.ProcessId && IsRunning(pid)) continue; // another live run is writing it
            try
            {
                Directory.Delete(dir, recursive: true);
                removed.Add(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // leaving it costs disk only; the run itself is not at risk
            }
        }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Best-effort removal of a temporary folder after a failed write.</summary>
    internal static void TryDelete(string tmp)
    {
        try { if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
