namespace MantisNative.Cli;

/// <summary>
/// One command's flag table: every option it accepts (<see cref="CliOption"/>: name, placeholder, meaning, default),
/// older spellings kept as aliases (alias to the name the command reads), and what its help says around them. The
/// command parses against it, `mantis CMD --help` is printed from it (<see cref="CommandHelp"/>), FlagRuleTests audits
/// every table against README "Command-line flags", and CliHelpTests checks the help lists every name it accepts.
/// </summary>
public sealed class CommandFlags
{
    public CommandFlags(string command, string summary, IEnumerable<CliOption> options, IReadOnlyDictionary<string, string>? aliases = null)
    {
        Command = command;
        Summary = summary;
        Options = options.ToArray();
        Aliases = aliases ?? new Dictionary<string, string>();
    }

    /// <summary>The command as typed after `mantis` ("train", "kernels compile").</summary>
    public string Command { get; }

    /// <summary>What the command does, one line (also its line in `mantis --help`).</summary>
    public string Summary { get; }

    public IReadOnlyList<CliOption> Options { get; }

    /// <summary>Older or shorter spellings of value options: alias to the name the command reads.</summary>
    public IReadOnlyDictionary<string, string> Aliases { get; }

    /// <summary>The options that take a value, every accepted spelling (aliases excepted).</summary>
    public string[] Values => Options.Where(o => !o.IsSwitch).SelectMany(o => o.Spellings).ToArray();

    /// <summary>The switches.</summary>
    public string[] Switches => Options.Where(o => o.IsSwitch).SelectMany(o => o.Spellings).ToArray();

    /// <summary>
    /// Value options that are yes/no settings (train's Hugging Face booleans): given alone (`--strict`) they mean true,
    /// as a switch does in every other command; `--strict false` or `--strict=false` is also accepted.
    /// </summary>
    public IReadOnlySet<string> BoolValues { get; init; } = new HashSet<string>();

    /// <summary>What follows the command besides options in the usage line ("PATH...", "[QUESTION]"); null: nothing.</summary>
    public string? Positional { get; init; }

    /// <summary>Usage lines for a command with several forms (each without "mantis"); empty: one line made from the table.</summary>
    public string[] Usage { get; init; } = Array.Empty<string>();

    /// <summary>Lines printed after the summary: how the options combine, what the command reads and writes.</summary>
    public string[] Notes { get; init; } = Array.Empty<string>();

    /// <summary>Command lines a user can copy (each without "mantis").</summary>
    public string[] Examples { get; init; } = Array.Empty<string>();

    /// <summary>Parses the arguments after the command; `--help` or `-h` among them stops with <see cref="HelpRequestedException"/>.</summary>
    public CliArgs Parse(IEnumerable<string> args) => Parse(Command, args);

    public CliArgs Parse(string command, IEnumerable<string> args)
    {
        var a = new CliArgs(command, args, Values, Switches, Aliases, BoolValues);
        if (a.HelpRequested) throw new HelpRequestedException(this);
        return a;
    }

    /// <summary>The option a name (spelling or alias) is read as, or null when the table has no such name.</summary>
    public CliOption? Find(string name)
    {
        var read = Aliases.GetValueOrDefault(name, name);
        return Options.FirstOrDefault(o => o.Spellings.Contains(read));
    }
}

/// <summary>`--help` or `-h` was given: the dispatcher prints the table's help and exits 0 (nothing else runs).</summary>
public sealed class HelpRequestedException(CommandFlags flags) : Exception($"mantis {flags.Command} --help")
{
    public CommandFlags Flags { get; } = flags;
}

/// <summary>
/// The command line itself is wrong (an option the command does not take): exit 2, as for an unknown command,
/// where a bad value or file exits 1.
/// </summary>
public sealed class CliUsageException(string message) : MantisException(message);
