namespace MantisNative.Cli;

/// <summary>
/// One command's declared flags: options with a value, switches, and older spellings kept as aliases (alias to the
/// name the command reads). The command parses against it, FlagRuleTests audits every table against README
/// "Command-line flags", and the README's flag table lists them.
/// </summary>
public sealed record CommandFlags(string[] Values, string[] Switches, IReadOnlyDictionary<string, string> Aliases)
{
    public CommandFlags(string[] values, string[] switches) : this(values, switches, new Dictionary<string, string>()) { }

    public CliArgs Parse(string command, IEnumerable<string> args) => new(command, args, Values, Switches, Aliases);
}
