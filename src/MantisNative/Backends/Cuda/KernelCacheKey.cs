using System.Security.Cryptography;
using System.Text;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// The module cache key: SHA-256 over the source, every header it may include (name and content: a change to
/// common.cuh recompiles everything), the options, the target architecture and the compiler identity (an NVRTC
/// upgrade recompiles). Each part is length-prefixed so no two different inputs can concatenate alike.
/// </summary>
internal static class KernelCacheKey
{
    public static string Compute(string source, IReadOnlyList<KernelHeader> headers, IReadOnlyList<string> options,
                                 KernelTarget target, string compilerIdentity)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Part(string s)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            Span<byte> len = stackalloc byte[8];
            BitConverter.TryWriteBytes(len, (long)bytes.Length);
            h.AppendData(len);
            h.AppendData(bytes);
        }
        Part("mantis-kernel-v1");
        Part(source);
        Part(headers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var hd in headers.OrderBy(x => x.IncludeName, StringComparer.Ordinal)) { Part(hd.IncludeName); Part(hd.Text); }
        Part(options.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var o in options) Part(o);
        Part(target.Arch);
        Part(compilerIdentity);
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }
}
