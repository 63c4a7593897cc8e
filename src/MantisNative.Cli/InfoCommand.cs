using System.Runtime.Intrinsics.X86;
using MantisNative.Interop;

namespace MantisNative.Cli;

/// <summary>`mantis info`: version, CPU features, threads, CUDA driver presence.</summary>
public static class InfoCommand
{
    public static int Run()
    {
        var version = typeof(InfoCommand).Assembly.GetName().Version;
        Console.WriteLine($"MantisNative {version}");
        Console.WriteLine($"runtime       .NET {Environment.Version} on {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        var feats = new List<string>();
        if (Avx2.IsSupported) feats.Add("AVX2");
        if (Fma.IsSupported) feats.Add("FMA");
        if (Avx512F.IsSupported) feats.Add("AVX-512F");
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) feats.Add("Vector512");
        Console.WriteLine($"cpu features  {(feats.Count == 0 ? "none" : string.Join(" ", feats))}");
        Console.WriteLine($"threads       {Environment.ProcessorCount}");
        var driver = NativeLibraryProbe.TryFind(NativeLibraryProbe.CudaDriverNames);
        Console.WriteLine($"cuda driver   {(driver is null ? "not found" : $"found ({driver})")}");
        return 0;
    }
}
