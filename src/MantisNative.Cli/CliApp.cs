namespace MantisNative.Cli;

/// <summary>Entry point of the `mantis` program: dispatches subcommands and turns user errors into one line.</summary>
public static class CliApp
{
    /// <summary>Each subcommand: name, one-line help, and its runner (takes the arguments after the name).</summary>
    private static readonly (string Name, string Help, Func<string[], int> Run)[] Commands =
    {
        ("train", TrainCommand.Help, TrainCommand.Run),
        ("forward", "run a model on a safetensors of inputs, write logits/loss/grads", ForwardCommand.Run),
        ("tokenize", TokenizeCommand.Help, TokenizeCommand.Run),
        ("make-data", MakeDataCommand.Help, MakeDataCommand.Run),
        ("check-data", CheckDataCommand.Help, CheckDataCommand.Run),
        ("info", "version, CPU features, threads, CUDA driver, NVRTC, cuBLASLt", InfoCommand.Run),
        ("gpu-check", GpuCheckCommand.Help, GpuCheckCommand.Run),
        ("kernels", "kernels compile [--arch compute_XX|sm_XX]: compile every CUDA kernel with NVRTC", KernelsCommand.Run),
        ("eval", EvalCommand.Help, EvalCommand.Run),
        ("chat", ChatCommand.Help, ChatCommand.Run),
        ("preprocess", PreprocessCommand.Help, PreprocessCommand.Run),
        ("make-checkpoint", MakeCheckpointCommand.Help, MakeCheckpointCommand.Run),
        ("quantize", QuantizeCommand.Help, QuantizeCommand.Run),
        ("merge", MergeCommand.Help, MergeCommand.Run),
    };

    /// <summary>
    /// Every command's declared flags (kernels has two subcommands), the one place the flag rule is audited from
    /// (FlagRuleTests) and the README's flag table is checked against.
    /// </summary>
    public static readonly (string Command, CommandFlags Flags)[] FlagTables =
    {
        ("train", TrainCommand.Flags),
        ("forward", ForwardCommand.Flags),
        ("tokenize", TokenizeCommand.Flags),
        ("make-data", MakeDataCommand.Flags),
        ("check-data", CheckDataCommand.Flags),
        ("info", InfoCommand.Flags),
        ("gpu-check", GpuCheckCommand.Flags),
        ("kernels compile", KernelsCommand.CompileFlags),
        ("kernels check", KernelsCheckCommand.Flags),
        ("eval", EvalCommand.Flags),
        ("chat", ChatCommand.Flags),
        ("preprocess", PreprocessCommand.Flags),
        ("make-checkpoint", MakeCheckpointCommand.Flags),
        ("quantize", QuantizeCommand.Flags),
        ("merge", MergeCommand.Flags),
    };

    /// <summary>The command names the dispatcher knows.</summary>
    public static IEnumerable<string> CommandNames => Commands.Select(c => c.Name);

    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            PrintHelp();
            return args.Length == 0 ? 0 : 0;
        }
        var cmd = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (cmd.Run is null)
        {
            Console.Error.WriteLine($"mantis: unknown command '{args[0]}' (commands: {string.Join(", ", Commands.Select(c => c.Name))})");
            return 2;
        }
        try
        {
            return cmd.Run(args[1..]);
        }
        catch (MantisException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (MantisNative.Interop.CudaException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static void PrintHelp()
    {
        Console.WriteLine("mantis — train and run Mantis-style multi-image vision-language models");
        Console.WriteLine();
        foreach (var c in Commands) Console.WriteLine($"  {c.Name,-12} {c.Help}");
    }
}
