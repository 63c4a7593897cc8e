namespace MantisNative.Backends.Cpu;

/// <summary>
/// Per-core data cache sizes as the OS reports them (Linux sysfs), with conservative defaults elsewhere or
/// when a value is missing. The GEMM derives its block sizes from these (see <see cref="GemmFamily"/>).
/// </summary>
internal static class CpuCaches
{
    private const int DefaultL1 = 32 << 10, DefaultL2 = 512 << 10;

    /// <summary>L1 data cache of one core in bytes.</summary>
    public static int L1Data { get; }

    /// <summary>L2 cache of one core in bytes (its share when cores share one).</summary>
    public static int L2 { get; }

    static CpuCaches()
    {
        int l1 = 0, l2 = 0;
        try
        {
            const string root = "/sys/devices/system/cpu/cpu0/cache";
            if (Directory.Exists(root))
                foreach (var dir in Directory.EnumerateDirectories(root, "index*"))
                {
                    string level = Read(dir, "level"), type = Read(dir, "type");
                    int size = ParseSize(Read(dir, "size"));
                    int sharing = Math.Max(1, CountCpus(Read(dir, "shared_cpu_list")));
                    if (level == "1" && type == "Data") l1 = size;
                    else if (level == "2" && type is "Unified" or "Data") l2 = size / sharing;
                }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        L1Data = l1 >= 8 << 10 ? l1 : DefaultL1;
        L2 = l2 >= 64 << 10 ? l2 : DefaultL2;
    }

    private static string Read(string dir, string name)
    {
        var path = Path.Combine(dir, name);
        return File.Exists(path) ? File.ReadAllText(path).Trim() : "";
    }

    /// <summary>"48K", "2048K", "1M" -> bytes; 0 when unreadable.</summary>
    internal static int ParseSize(string text)
    {
        if (text.Length == 0) return 0;
        long scale = char.ToUpperInvariant(text[^1]) switch { 'K' => 1 << 10, 'M' => 1 << 20, 'G' => 1 << 30, _ => 1 };
        var digits = scale == 1 ? text : text[..^1];
        return long.TryParse(digits, out var v) && v > 0 ? (int)Math.Min(int.MaxValue, v * scale) : 0;
    }

    /// <summary>"0-1,4" -> 3.</summary>
    internal static int CountCpus(string list)
    {
        int count = 0;
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var ends = part.Split('-');
            if (ends.Length == 2 && int.TryParse(ends[0], out var lo) && int.TryParse(ends[1], out var hi) && hi >= lo) count += hi - lo + 1;
            else if (int.TryParse(part, out _)) count++;
        }
        return count;
    }
}
