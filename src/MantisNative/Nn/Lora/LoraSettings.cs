using System.Globalization;
using System.Text.RegularExpressions;

namespace MantisNative.Nn.Lora;

/// <summary>
/// LoRA hyper-parameters with PEFT's meaning: rank r, lora_alpha, lora_dropout, target modules, DoRA and rsLoRA
/// switches, per-module rank/alpha overrides (rank_pattern / alpha_pattern). The scale of a module's update is
/// alpha / r, or alpha / sqrt(r) with rsLoRA. Defaults are the Mantis reference's (r 128, alpha 256, dropout 0.05,
/// every Linear of the LLM except lm_head).
/// </summary>
public sealed record LoraSettings
{
    public int Rank { get; init; } = 128;
    public double Alpha { get; init; } = 256;
    public double Dropout { get; init; } = 0.05;
    public LoraTargets Targets { get; init; } = LoraTargets.MantisDefault;
    public bool UseDora { get; init; }
    public bool UseRslora { get; init; }

    /// <summary>rank_pattern: module-name pattern to rank (PEFT matches "(.*\.)?pattern$" against the module path).</summary>
    public IReadOnlyDictionary<string, int> RankPattern { get; init; } = new Dictionary<string, int>();
    /// <summary>alpha_pattern: module-name pattern to alpha.</summary>
    public IReadOnlyDictionary<string, double> AlphaPattern { get; init; } = new Dictionary<string, double>();

    public void Validate()
    {
        if (Rank < 1) throw new MantisException($"lora: r must be at least 1, got {Rank}");
        if (!(Dropout >= 0 && Dropout < 1)) throw new MantisException($"lora: dropout must be in [0, 1), got {Dropout.ToString(CultureInfo.InvariantCulture)}");
        if (!double.IsFinite(Alpha)) throw new MantisException($"lora: alpha must be a finite number, got {Alpha}");
        foreach (var (k, v) in RankPattern)
            if (v < 1) throw new MantisException($"lora: rank_pattern '{k}' gives rank {v}; ranks must be at least 1");
    }

    public int RankFor(string modulePath) => Lookup(RankPattern, modulePath) ?? Rank;

    public double AlphaFor(string modulePath) => Lookup(AlphaPattern, modulePath) ?? Alpha;

    /// <summary>The factor of B·A in the merged weight: alpha / r (alpha / sqrt(r) with rsLoRA).</summary>
    public double ScaleFor(string modulePath)
    {
        int r = RankFor(modulePath);
        return AlphaFor(modulePath) / (UseRslora ? Math.Sqrt(r) : r);
    }

    /// <summary>PEFT's pattern lookup: the first key whose regex matches the end of the module path at a dot boundary.</summary>
    private static T? Lookup<T>(IReadOnlyDictionary<string, T> patterns, string modulePath) where T : struct
    {
        foreach (var (key, value) in patterns)
            if (Regex.IsMatch(modulePath, @"^(.*\.)?(" + key + ")$", RegexOptions.CultureInvariant)) return value;
        return null;
    }

    /// <summary>
    /// Parses the command-line form "r=128,alpha=256,dropout=0.05[,dora=true][,rslora=true][,targets=REGEX or a|b|c names]".
    /// Unset keys keep the Mantis defaults; an unknown key or a bad value is an error naming it.
    /// </summary>
    public static LoraSettings Parse(string spec)
    {
        var s = new LoraSettings();
        if (string.IsNullOrWhiteSpace(spec)) return s;
        foreach (var part in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) throw new MantisException($"lora: '{part}' is not key=value (keys: r, alpha, dropout, dora, rslora, targets; train --lora also takes base and merge)");
            string key = part[..eq].Trim().ToLowerInvariant(), value = part[(eq + 1)..].Trim();
            s = key switch
            {
                "r" or "rank" => s with { Rank = int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) ? r : throw Bad(key, value, "an integer") },
                "alpha" or "lora_alpha" => s with { Alpha = Number(key, value) },
                "dropout" or "lora_dropout" => s with { Dropout = Number(key, value) },
                "dora" or "use_dora" => s with { UseDora = Bool(key, value) },
                "rslora" or "use_rslora" => s with { UseRslora = Bool(key, value) },
                "targets" or "target_modules" => s with { Targets = LoraTargets.Parse(value) },
                _ => throw new MantisException($"lora: unknown key '{key}' (keys: r, alpha, dropout, dora, rslora, targets; train --lora also takes base and merge)"),
            };
        }
        s.Validate();
        return s;
    }

    private static double Number(string key, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Bad(key, value, "a number");

    private static bool Bool(string key, string value) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw Bad(key, value, "true or false"),
    };

    private static MantisException Bad(string key, string value, string what) => new($"lora: {key} expects {what}, got '{value}'");
}
