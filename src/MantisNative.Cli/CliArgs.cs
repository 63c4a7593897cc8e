namespace MantisNative.Cli;

/// <summary>
/// A small strict parser for `--name value`, `--flag` and positional arguments.
/// Every option a command reads must be declared; anything else is an error naming the flag.
/// </summary>
public sealed class CliArgs
{
    private readonly Dictionary<string, List<string>> _values = new();
    private readonly HashSet<string> _flags = new();
    public List<string> Positional { get; } = new();
    public string Command { get; }

    /// <summary>`--help` (anywhere before `--`) or `-h` (where an option name may stand) was given; parsing stopped there.</summary>
    public bool HelpRequested { get; }

    /// <param name="valueOptions">options that take a value, without the leading dashes</param>
    /// <param name="flagOptions">switches without a value</param>
    /// <param name="aliases">other spellings of value options (alias to the name the command reads), README "Command-line flags"</param>
    /// <param name="boolValues">value options that may also be given alone, meaning true (CommandFlags.BoolValues)</param>
    public CliArgs(string command, IEnumerable<string> args, IEnumerable<string> valueOptions, IEnumerable<string> flagOptions,
        IReadOnlyDictionary<string, string>? aliases = null, IReadOnlySet<string>? boolValues = null)
    {
        Command = command;
        aliases ??= new Dictionary<string, string>();
        var takesValue = new HashSet<string>(valueOptions.Concat(aliases.Keys));
        var isFlag = new HashSet<string>(flagOptions);
        var list = args.ToList();
        // `--help` is never a value anyone means, so it wins wherever it stands (`mantis eval --model --help`)
        if (list.TakeWhile(t => t != "--").Contains("--help")) { HelpRequested = true; return; }
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (a == "--") { Positional.AddRange(list.Skip(i + 1)); break; }
            if (a == "-h") { HelpRequested = true; return; }
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                var name = a[2..];
                string? inline = null;
                int eq = name.IndexOf('=');
                if (eq >= 0) { inline = name[(eq + 1)..]; name = name[..eq]; }
                if (takesValue.Contains(name))
                {
                    bool alone = inline is null && (boolValues?.Contains(name) ?? false) && (i + 1 >= list.Count || !IsBoolWord(list[i + 1]));
                    var v = alone ? "true" : inline ?? (i + 1 < list.Count ? list[++i] : throw new MantisException($"mantis {command}: option --{name} needs a value"));
                    name = aliases.GetValueOrDefault(name, name);
                    if (!_values.TryGetValue(name, out var l)) _values[name] = l = new List<string>();
                    l.Add(v);
                }
                else if (isFlag.Contains(name) && inline is null) _flags.Add(name);
                else if (isFlag.Contains(name))
                    throw new CliUsageException($"mantis {command}: --{name} is a switch and takes no value (got --{name}={inline}); see mantis {command} --help");
                else
                {
                    // one line: the closest name the command takes, and where the full list is
                    var closest = OptionSuggestion.Closest(name, takesValue.Concat(isFlag));
                    throw new CliUsageException($"mantis {command}: unknown option --{name}{(closest is null ? "" : $" (did you mean --{closest}?)")}; see mantis {command} --help");
                }
            }
            else Positional.Add(a);
        }
    }

    private static bool IsBoolWord(string s) => s.ToLowerInvariant() is "true" or "false" or "1" or "0" or "yes" or "no";

    public bool Has(string name) => _flags.Contains(name) || _values.ContainsKey(name);
    public bool Flag(string name) => _flags.Contains(name);
    public string? Get(string name) => _values.TryGetValue(name, out var l) ? l[^1] : null;
    public IReadOnlyList<string> GetAll(string name) => _values.TryGetValue(name, out var l) ? l : Array.Empty<string>();
    public string Require(string name) => Get(name) ?? throw new MantisException($"mantis {Command}: missing required option --{name}");

    public int GetInt(string name, int fallback)
    {
        var s = Get(name);
        if (s is null) return fallback;
        return int.TryParse(s, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) && Math.Floor(d) == d && Math.Abs(d) > int.MaxValue
                ? throw new MantisException($"mantis {Command}: --{name} {s} is out of range (at most {int.MaxValue})")
                : throw new MantisException($"mantis {Command}: --{name} expects an integer, got '{s}'");
    }

    public double GetDouble(string name, double fallback)
    {
        var s = Get(name);
        if (s is null) return fallback;
        return double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v : throw new MantisException($"mantis {Command}: --{name} expects a number, got '{s}'");
    }
}
