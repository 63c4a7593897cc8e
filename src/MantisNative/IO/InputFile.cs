using MantisNative.Interop;

namespace MantisNative.IO;

/// <summary>
/// Opening an input file the user named: it must exist, be a regular file (a FIFO blocks forever on open, a
/// device never ends), and be readable; each failure is one message naming the path and what it was meant to be.
/// </summary>
public static class InputFile
{
    /// <summary>Throws a <see cref="MantisException"/> unless <paramref name="path"/> is an existing regular file.</summary>
    public static void EnsureRegular(string path, string what)
    {
        if (Directory.Exists(path)) throw new MantisException($"{path}: is a folder, not a {what} file");
        if (!File.Exists(path)) throw new MantisException($"{path}: {what} file not found");
        if (PosixFileType.IsRegularOrDirectory(path) == false)
            throw new MantisException($"{path}: is not a regular file (a pipe, socket or device); a {what} file is needed");
    }

    public static byte[] ReadAllBytes(string path, string what)
    {
        EnsureRegular(path, what);
        try { return File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MantisException($"{path}: cannot read the {what} file: {e.Message}", e);
        }
    }
}
