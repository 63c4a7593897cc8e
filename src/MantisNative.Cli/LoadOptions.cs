using MantisNative.IO;

namespace MantisNative.Cli;

/// <summary>`--allow-unused-weights`: load a checkpoint with tensors the config does not use, warning on stderr.</summary>
internal static class LoadOptions
{
    public static ModelLoadOptions From(CliArgs a) =>
        new() { AllowUnusedWeights = a.Flag("allow-unused-weights"), Warn = Console.Error.WriteLine };
}
