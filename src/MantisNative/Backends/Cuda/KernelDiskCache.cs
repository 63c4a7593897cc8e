using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// Compiled kernels on disk (default ~/.cache/mantis/kernels, or MANTIS_KERNEL_CACHE), one file per key:
/// "MKC1" | image length (int64) | log length (int64) | SHA-256 of image+log | image | log (UTF-8).
/// The checksum makes a truncated or damaged entry read as missing, so it is recompiled and rewritten.
/// Writes go to a temporary file in the same folder and are renamed over the entry: a reader never sees a
/// half-written file, and two processes compiling the same kernel both succeed. The cache is best effort:
/// an unwritable folder costs a recompile next time, never a failure.
/// </summary>
internal sealed class KernelDiskCache
{
    public const string EnvironmentVariable = "MANTIS_KERNEL_CACHE";
    private static readonly byte[] Magic = "MKC1"u8.ToArray();
    private const int HeaderBytes = 4 + 8 + 8 + 32;

    public string Directory { get; }

    public KernelDiskCache(string directory) => Directory = directory;

    public static string DefaultDirectory()
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return env;
        var home = Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home)) home = Path.GetTempPath();
        return Path.Combine(home, ".cache", "mantis", "kernels");
    }

    public string PathFor(string sourceName, string key, KernelTarget target) =>
        Path.Combine(Directory, $"{sourceName}.{target.Arch}.{key[..32]}.{target.Extension}");

    /// <summary>The stored image and log, or null when absent or damaged.</summary>
    public (byte[] Image, string Log)? TryRead(string path)
    {
        byte[] data;
        try
        {
            if (!File.Exists(path)) return null;
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        if (data.Length < HeaderBytes || !data.AsSpan(0, 4).SequenceEqual(Magic)) return null;
        long imageLen = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(4));
        long logLen = BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(12));
        if (imageLen < 0 || logLen < 0 || HeaderBytes + imageLen + logLen != data.Length) return null;
        var body = data.AsSpan(HeaderBytes);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(data.AsSpan(20, 32))) return null;
        return (body[..(int)imageLen].ToArray(), Encoding.UTF8.GetString(body[(int)imageLen..]));
    }

    /// <summary>Writes atomically (temp + rename); returns false (and leaves no temp file) when the disk refuses.</summary>
    public bool TryWrite(string path, byte[] image, string log)
    {
        var logBytes = Encoding.UTF8.GetBytes(log);
        var data = new byte[HeaderBytes + image.Length + logBytes.Length];
        Magic.CopyTo(data, 0);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(4), image.Length);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(12), logBytes.Length);
        image.CopyTo(data, HeaderBytes);
        logBytes.CopyTo(data, HeaderBytes + image.Length);
        SHA256.HashData(data.AsSpan(HeaderBytes)).CopyTo(data, 20);
        string? tmp = null;
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            tmp = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write))
            {
                fs.Write(data);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (tmp is not null) { try { File.Delete(tmp); } catch (Exception d) when (d is IOException or UnauthorizedAccessException) { } }
            return false;
        }
    }
}
