namespace MantisNative.Cli;

/// <summary>
/// One option a command accepts, as its flag table declares it: the name the command reads, the value's placeholder
/// (null for a switch), what it means in one line, and the default the command uses when it is absent. The parser
/// reads the names from here and `mantis CMD --help` prints the rest, so the help cannot list an option the command
/// does not take, nor miss one it does.
/// </summary>
public sealed record CliOption(string Name, string? Placeholder, string Meaning)
{
    /// <summary>A switch: present or absent, no value.</summary>
    public bool IsSwitch => Placeholder is null;

    /// <summary>The value used when the option is not given, as the help shows it (null: none, or said in <see cref="Meaning"/>).</summary>
    public string? Default { get; init; }

    /// <summary>The command refuses to run without it.</summary>
    public bool Required { get; init; }

    /// <summary>Further spellings the parser accepts as names of their own and the command reads as this option
    /// (train's kebab-case twins of its Hugging Face keys); the help names the rule once, not per option.</summary>
    public IReadOnlyList<string> Twins { get; init; } = Array.Empty<string>();

    /// <summary>Every spelling the parser accepts for this option, <see cref="Name"/> first (aliases excepted: they live in the table).</summary>
    public IEnumerable<string> Spellings => Twins.Prepend(Name);

    public static CliOption Value(string name, string placeholder, string meaning, string? @default = null) =>
        new(name, placeholder, meaning) { Default = @default };

    public static CliOption Needed(string name, string placeholder, string meaning) =>
        new(name, placeholder, meaning) { Required = true };

    public static CliOption Switch(string name, string meaning) => new(name, null, meaning);

    /// <summary>A default as the help prints it: numbers in the invariant culture.</summary>
    public static string Show(IFormattable value) => value.ToString(null, System.Globalization.CultureInfo.InvariantCulture);
}
