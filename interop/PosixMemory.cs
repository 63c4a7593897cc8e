using System.Runtime.InteropServices;

namespace MantisNative.Interop;

/// <summary>libc's madvise(2), for dropping pages of a read-only file mapping from the resident set.</summary>
public static class PosixMemory
{
    private const int MadvDontNeed = 4;

    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint addr, nuint length, int advice);

    /// <summary>MADV_DONTNEED over [addr, addr + length) (page aligned). False off Linux or when the call fails.</summary>
    public static bool DontNeed(nint addr, nuint length)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return Madvise(addr, length, MadvDontNeed) == 0; }
        catch (DllNotFoundException) { return false; }
        catch (EntryPointNotFoundException) { return false; }
    }
}
