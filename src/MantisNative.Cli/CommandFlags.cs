namespace MantisNative.Cli;

/// <summary>
/// One command's declared flags: options with a value, switches, and older spellings kept as aliases (alias to the
/// name the command reads). The command parses against it, FlagRuleTests audits every table against README
/// "Command-line flags", and the README's flag table lists them.
/// </summary>
public sealed record CommandFlags(string[] Values, string[] Switches, IReadOnlyDictionary<string, string> Aliases)
{
    public CommandFlags(string[] values, string[] switches) : this(values, switches, new Dictionary<string, string>()) { }

    /// <summary>
    /// Value options that are yes/no settings (train's Hugging Face booleans): given alone (`--strict`) they mean true,
    /// as a switch does in every other command; `--strict false` or `--strict=false` is also accepted.
    /// </summary>
    public IReadOnlySet<string> BoolValues { get; init; } = new HashSet<string>();

    public CliArgs Parse(string command, IEnumerable<string> args) => new(command, args, Values, Switches, Aliases, BoolValues);
}
