using System.Text.RegularExpressions;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// What a source is compiled to: "compute_XX" gives PTX (portable, JIT-compiled by the driver at load),
/// "sm_XX" (optionally with an "a"/"f" suffix) gives CUBIN for exactly that GPU generation, and with
/// ptxas' verbose output we get registers and spills per kernel.
/// </summary>
internal sealed partial record KernelTarget(string Arch)
{
    public bool IsCubin => Arch.StartsWith("sm_", StringComparison.Ordinal);
    public string Extension => IsCubin ? "cubin" : "ptx";

    /// <summary>What CI checks: portable PTX for Ampere and later, and Hopper CUBIN.</summary>
    public static readonly IReadOnlyList<KernelTarget> CiTargets = new[] { new KernelTarget("compute_80"), new KernelTarget("sm_90a") };

    [GeneratedRegex("^(compute|sm)_[0-9]{2,3}[af]?$")]
    private static partial Regex ArchPattern();

    public static KernelTarget Parse(string arch)
    {
        var a = arch.Trim();
        if (!ArchPattern().IsMatch(a))
            throw new MantisException($"--arch '{arch}' is not an architecture (expected compute_XX or sm_XX, e.g. compute_80, sm_90a)");
        return new KernelTarget(a);
    }

    /// <summary>CUBIN for the device when this NVRTC knows its generation, else PTX for the newest one it
    /// knows (the driver JIT-compiles PTX forward to newer GPUs).</summary>
    public static KernelTarget ForDevice(int major, int minor, IReadOnlyCollection<int> supportedArchs)
    {
        int cc = major * 10 + minor;
        // Hopper: sm_90a, the arch-specific target (wgmma, setmaxnreg need it; plain sm_90 code runs the same)
        var suffix = cc == 90 ? "a" : "";
        if (supportedArchs.Count == 0 || supportedArchs.Contains(cc)) return new KernelTarget($"sm_{cc}{suffix}");
        var best = supportedArchs.Where(a => a <= cc).DefaultIfEmpty(supportedArchs.Max()).Max();
        return new KernelTarget($"compute_{best}");
    }

    /// <summary>NVRTC options; every option is part of the cache key.</summary>
    public IReadOnlyList<string> CompilerOptions(bool ptxasVerbose)
    {
        var o = new List<string> { "-std=c++17", $"-arch={Arch}" };
        if (IsCubin && ptxasVerbose) o.Add("--ptxas-options=-v");
        return o;
    }

    public override string ToString() => Arch;
}
