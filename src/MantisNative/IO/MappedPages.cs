using MantisNative.Interop;

namespace MantisNative.IO;

/// <summary>
/// Drops pages of a read-only file mapping from the process's resident set once they have been read (they stay in
/// the page cache and fault back in if touched again). Quantizing a bf16 checkpoint at load reads all 16.9 GB of
/// an 8B model once: without this the pages read would count in the peak resident memory beside the int8 copy.
/// </summary>
internal static unsafe class MappedPages
{
    /// <summary>Releases the whole pages inside [p, p + bytes); a no-op off Linux or when the call fails.</summary>
    public static void Release(byte* p, long bytes)
    {
        if (bytes <= 0) return;
        long page = Environment.SystemPageSize;
        long start = ((long)p + page - 1) / page * page, end = ((long)p + bytes) / page * page;
        if (end > start) PosixMemory.DontNeed((nint)start, (nuint)(end - start));
    }
}
