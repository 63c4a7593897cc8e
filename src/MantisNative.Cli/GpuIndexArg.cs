using System.Globalization;

namespace MantisNative.Cli;

/// <summary>
/// `--device` of the GPU-only commands (gpu-check, kernels check): a GPU index, written `N` as before or `cuda:N` /
/// `cuda` as forward's `--device` takes it, so one spelling of a device works in every command.
/// </summary>
public static class GpuIndexArg
{
    public static readonly CliOption Option = CliOption.Value("device", "N|cuda:N", "which GPU", "0");

    public static int Parse(CliArgs a)
    {
        var s = a.Get("device");
        if (s is null || s == "cuda") return 0;
        var digits = s.StartsWith("cuda:", StringComparison.Ordinal) ? s["cuda:".Length..] : s;
        if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
        throw new MantisException($"mantis {a.Command}: --device expects a GPU: N, cuda or cuda:N, got '{s}'");
    }
}
