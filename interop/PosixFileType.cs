using System.Runtime.InteropServices;

namespace MantisNative.Interop;

/// <summary>
/// The file type of a path from libc's stat(2): .NET's FileInfo reports a FIFO, a socket or a device as a
/// plain file, and opening a FIFO for reading blocks until a writer appears, so input files are checked first.
/// </summary>
public static class PosixFileType
{
    private const uint TypeMask = 0xF000, Regular = 0x8000, Directory = 0x4000;

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    private static extern int Stat(string path, byte[] buffer);

    /// <summary>
    /// True when <paramref name="path"/> (links followed) is a regular file or a directory; false for a FIFO,
    /// socket or device. Null when it cannot be told here (not Linux x64/arm64, stat missing or failing).
    /// </summary>
    public static bool? IsRegularOrDirectory(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        // offset of st_mode in struct stat: after st_dev, st_ino (x64 also st_nlink before it)
        int modeOffset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (modeOffset < 0) return null;
        var buf = new byte[256];
        try
        {
            if (Stat(path, buf) != 0) return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        uint type = BitConverter.ToUInt32(buf, modeOffset) & TypeMask;
        return type is Regular or Directory;
    }
}
