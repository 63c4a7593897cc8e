namespace MantisNative.Tensors;

/// <summary>
/// How much host memory a new allocation may take: the smaller of what the kernel says is available now
/// (/proc/meminfo MemAvailable, which counts reclaimable page cache) and the runtime's own limit (a container's
/// memory limit or the physical memory). Used to refuse a model or a step that cannot fit before allocating it,
/// instead of dying with "Out of memory." half-way.
/// </summary>
public static class MemoryBudget
{
    /// <summary>Bytes that may still be allocated on the host.</summary>
    public static long AvailableHostBytes()
    {
        long limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (limit <= 0) limit = long.MaxValue;
        long? meminfo = ReadMemAvailable();
        // what this process already holds is not "available" in /proc/meminfo but may be reused by the pool
        return meminfo is long m ? Math.Min(limit, m) : limit;
    }

    private static long? ReadMemAvailable()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length >= 2 && long.TryParse(parts[1], out long kb)) return kb * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>"12.3 GB" style text for messages.</summary>
    public static string Format(double bytes) =>
        bytes >= 1e12 ? $"{bytes / 1e12:G3} TB" : bytes >= 1e9 ? $"{bytes / 1e9:G3} GB" : $"{bytes / 1e6:G3} MB";
}
