using System.Runtime.InteropServices;

namespace MantisNative.Interop;

/// <summary>Finds native libraries (the CUDA driver first) without throwing when they are absent.</summary>
public static class NativeLibraryProbe
{
    /// <summary>Names of the CUDA driver library on Linux and Windows, newest first.</summary>
    public static readonly string[] CudaDriverNames = { "libcuda.so.1", "libcuda.so", "nvcuda.dll" };

    /// <summary>Returns the first of <paramref name="names"/> that loads, or null.</summary>
    public static string? TryFind(IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (NativeLibrary.TryLoad(name, out var handle))
            {
                NativeLibrary.Free(handle);
                return name;
            }
        }
        return null;
    }
}
