namespace MantisNative.Cli;

/// <summary>Entry point of the `mantis` program: dispatches subcommands and turns user errors into one line.</summary>
public static class CliApp
{
    /// <summary>Each subcommand: name, one-line help (its flag table's summary), and its runner (takes the arguments after the name).</summary>
    private static readonly (string Name, string Help, Func<string[], int> Run)[] Commands =
    {
        ("train", TrainCommand.Flags.Summary, TrainCommand.Run),
        ("forward", ForwardCommand.Flags.Summary, ForwardCommand.Run),
        ("tokenize", TokenizeCommand.Flags.Summary, TokenizeCommand.Run),
        ("make-data", MakeDataCommand.Flags.Summary, MakeDataCommand.Run),
        ("check-data", CheckDataCommand.Flags.Summary, CheckDataCommand.Run),
        ("info", InfoCommand.Flags.Summary, InfoCommand.Run),
        ("gpu-check", GpuCheckCommand.Flags.Summary, GpuCheckCommand.Run),
        ("kernels", KernelsCommand.Summary, KernelsCommand.Run),
        ("eval", EvalCommand.Flags.Summary, EvalCommand.Run),
        ("chat", ChatCommand.Flags.Summary, ChatCommand.Run),
        ("preprocess", PreprocessCommand.Flags.Summary, PreprocessCommand.Run),
        ("make-checkpoint", MakeCheckpointCommand.Flags.Summary, MakeCheckpointCommand.Run),
        ("quantize", QuantizeCommand.Flags.Summary, QuantizeCommand.Run),
        ("merge", MergeCommand.Flags.Summary, MergeCommand.Run),
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
        if (args.Length == 0 || args[0] is "-h" or "--help" || args is ["help"])
        {
            PrintHelp();
            return 0;
        }
        // `mantis help train` is `mantis train --help` (and `mantis help kernels check` is `mantis kernels check --help`)
        if (args[0] == "help") return Run(args[1..].Append("--help").ToArray());
        var cmd = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (cmd.Run is null)
        {
            var closest = OptionSuggestion.Closest(args[0], CommandNames);
            Console.Error.WriteLine($"mantis: unknown command '{args[0]}'{(closest is null ? "" : $" (did you mean {closest}?)")} (commands: {string.Join(", ", Commands.Select(c => c.Name))})");
            return 2;
        }
        try
        {
            return cmd.Run(args[1..]);
        }
        catch (HelpRequestedException h)
        {
            Console.Write(CommandHelp.Render(h.Flags));
            return 0;
        }
        catch (CliUsageException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
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
        Console.WriteLine("usage: mantis COMMAND [options]");
        Console.WriteLine();
        Console.WriteLine("commands:");
        foreach (var c in Commands) Console.WriteLine($"  {c.Name,-16} {c.Help}");
        Console.WriteLine();
        Console.WriteLine("mantis COMMAND --help (or mantis help COMMAND) lists a command's options with their defaults.");
    }
}
