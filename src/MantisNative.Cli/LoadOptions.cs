using MantisNative.IO;
using MantisNative.Tensors;

namespace MantisNative.Cli;

/// <summary>
/// `--allow-unused-weights`: load a checkpoint with tensors the config does not use, warning on stderr.
/// `--weights auto|f32|bf16|f16|int8|nf4` (chat, eval): how weight matrices are held on the CPU (docs/quantization.md).
/// </summary>
internal static class LoadOptions
{
    public const string WeightsValues = "auto, f32, bf16, f16, int8 or nf4";

    public static readonly CliOption AllowUnusedWeightsOption =
        CliOption.Switch("allow-unused-weights", "load a checkpoint holding tensors the config does not use, with a warning (default: an error)");

    public static readonly CliOption WeightsOption = CliOption.Value("weights", "auto|f32|bf16|f16|int8|nf4",
        "how weight matrices are held (auto: 16-bit checkpoints as they are, quantized folders quantized; docs/quantization.md)", "auto");

    public static ModelLoadOptions From(CliArgs a) =>
        new() { AllowUnusedWeights = a.Flag("allow-unused-weights"), Warn = Console.Error.WriteLine };

    /// <summary>The inference commands' options: <see cref="From"/> plus --weights (default auto).</summary>
    public static ModelLoadOptions ForInference(CliArgs a, string command)
    {
        var value = a.Get("weights") ?? "auto";
        WeightFormat? format = value switch
        {
            "auto" => null,
            "f32" => WeightFormat.F32,
            "bf16" => WeightFormat.BF16,
            "f16" => WeightFormat.F16,
            "int8" => WeightFormat.Int8,
            "nf4" => WeightFormat.Nf4,
            _ => throw new MantisException($"mantis {command} --weights: unknown value '{value}'; use {WeightsValues}"),
        };
        return From(a) with { Weights = format, AutoWeights = format is null };
    }
}
