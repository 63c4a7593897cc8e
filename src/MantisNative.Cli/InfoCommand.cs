using System.Runtime.Intrinsics.X86;
using MantisNative.Backends.Cuda;
using MantisNative.Interop;

namespace MantisNative.Cli;

/// <summary>`mantis info`: version, CPU features, threads, and the CUDA libraries found (driver, NVRTC, cuBLASLt).</summary>
public static class InfoCommand
{
    /// <summary>info takes no flags; declaring the empty set makes a stray argument an error instead of being ignored.</summary>
    public static readonly CommandFlags Flags = new("info", "version, CPU features, threads, CUDA driver, NVRTC, cuBLASLt", Array.Empty<CliOption>())
    {
        Examples = new[] { "info" },
    };

    public static int Run(string[] argv)
    {
        var a = Flags.Parse(argv);
        if (a.Positional.Count > 0) throw new MantisException($"mantis info: unexpected argument '{a.Positional[0]}'");
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
        Console.WriteLine($"cuda driver   {DriverLine()}");
        Console.WriteLine($"nvrtc         {(Nvrtc.IsAvailable ? $"{Nvrtc.Version} ({Nvrtc.Library.LoadedFrom})" : Nvrtc.UnavailableReason)}");
        Console.WriteLine($"cublasLt      {(CublasLt.IsAvailable ? $"{CublasLt.Version} ({CublasLt.Library.LoadedFrom})" : CublasLt.UnavailableReason)}");
        Console.WriteLine($"kernels       {KernelCatalog.FindDirectory() ?? "not found"}");
        return 0;
    }

    private static string DriverLine()
    {
        if (!CudaDriver.IsAvailable) return $"not available: {CudaDriver.UnavailableReason}";
        var v = CudaDriver.Version;
        var s = $"CUDA {v / 1000}.{v % 1000 / 10} ({CudaDriver.Library.LoadedFrom})";
        try
        {
            int n = CudaDevice.Count;
            for (int i = 0; i < n; i++) s += $"\n  gpu         {CudaDevice.GetInfo(i)}";
        }
        catch (CudaException e) { s += $"\n  gpu         error: {e.Message}"; }
        return s;
    }
}
