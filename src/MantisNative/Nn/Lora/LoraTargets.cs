using System.Text.RegularExpressions;

namespace MantisNative.Nn.Lora;

/// <summary>
/// Which modules get an adapter, with PEFT's matching rules: a regex must match the whole module path
/// (<c>re.fullmatch</c>); a list of names matches a module whose path equals a name or ends with "." + name.
/// An exclusion (regex or names, same rules) wins over a match.
/// </summary>
public sealed class LoraTargets
{
    private readonly Regex? _regex, _excludeRegex;

    private LoraTargets(string? regex, IReadOnlyList<string>? names, string? excludeRegex, IReadOnlyList<string>? excludeNames)
    {
        Pattern = regex;
        Names = names;
        ExcludePattern = excludeRegex;
        ExcludeNames = excludeNames;
        _regex = regex is null ? null : Compile(regex, "target_modules");
        _excludeRegex = excludeRegex is null ? null : Compile(excludeRegex, "exclude_modules");
    }

    /// <summary>The Mantis reference's LoRA set: every Linear of the LLM's decoder layers (attention and MLP),
    /// not lm_head, not the vision tower, not the projector; under legacy and transformers>=4.52 module paths.</summary>
    public const string MantisDefaultPattern =
        @"(language_model\.model|model\.language_model)\.layers\.\d+\.(self_attn\.(q_proj|k_proj|v_proj|o_proj)|mlp\.(gate_proj|up_proj|down_proj))";

    public static LoraTargets MantisDefault { get; } = FromPattern(MantisDefaultPattern);

    /// <summary>target_modules given as one regex string.</summary>
    public static LoraTargets FromPattern(string regex, string? excludeRegex = null, IReadOnlyList<string>? excludeNames = null) =>
        new(regex, null, excludeRegex, excludeNames);

    /// <summary>target_modules given as a list of module names or name suffixes ("q_proj").</summary>
    public static LoraTargets FromNames(IReadOnlyList<string> names, string? excludeRegex = null, IReadOnlyList<string>? excludeNames = null)
    {
        if (names.Count == 0) throw new MantisException("lora: target_modules is an empty list");
        return new(null, names, excludeRegex, excludeNames);
    }

    /// <summary>The command-line form: names separated by | ("q_proj|v_proj", no dots), otherwise one regex.</summary>
    public static LoraTargets Parse(string value)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new MantisException("lora: targets is empty (give a regex or names separated by |)");
        return Regex.IsMatch(value, @"^[A-Za-z0-9_]+(\|[A-Za-z0-9_]+)*$") ? FromNames(value.Split('|')) : FromPattern(value);
    }

    /// <summary>The regex form of target_modules, or null when it is a list.</summary>
    public string? Pattern { get; }
    /// <summary>The list form of target_modules, or null when it is a regex.</summary>
    public IReadOnlyList<string>? Names { get; }
    public string? ExcludePattern { get; }
    public IReadOnlyList<string>? ExcludeNames { get; }

    /// <summary>True when the module at <paramref name="modulePath"/> (e.g. "language_model.model.layers.0.self_attn.q_proj") is targeted.</summary>
    public bool Matches(string modulePath)
    {
        if (_excludeRegex is not null && _excludeRegex.IsMatch(modulePath)) return false;
        if (ExcludeNames is not null && MatchesName(ExcludeNames, modulePath)) return false;
        return _regex is not null ? _regex.IsMatch(modulePath) : MatchesName(Names!, modulePath);
    }

    private static bool MatchesName(IReadOnlyList<string> names, string path) =>
        names.Any(n => path == n || path.EndsWith("." + n, StringComparison.Ordinal));

    private static Regex Compile(string pattern, string what)
    {
        try { return new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant); }
        catch (ArgumentException e) { throw new MantisException($"lora: {what} '{pattern}' is not a valid regular expression: {e.Message}"); }
    }
}
