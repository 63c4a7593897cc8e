using MantisNative.Nn.Lora;
using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>
/// A LoRA / DoRA / QLoRA run: the adapter settings (PEFT's meaning, <see cref="LoraSettings"/>), the frozen base's
/// number format, and whether a merged model folder is written at the end besides the adapter. The command-line
/// and JSON form is one string, "r=128,alpha=256,dropout=0.05[,targets=REGEX|a|b][,dora][,rslora][,base=fp32|bf16|f16|int8|nf4][,merge]"
/// (a bare "dora", "rslora" or "merge" means =true; "default" or an empty string is the Mantis reference's r 128, alpha 256, dropout 0.05).
/// </summary>
public sealed record LoraTrainingOptions(LoraSettings Settings, WeightFormat Base = WeightFormat.F32, bool WriteMerged = false)
{
    /// <summary>The Mantis reference's LoRA (r 128, alpha 256, dropout 0.05, every Linear of the LLM but lm_head).</summary>
    public static LoraTrainingOptions MantisDefault { get; } = new(new LoraSettings());

    public static LoraTrainingOptions Parse(string spec, string where)
    {
        WeightFormat baseFormat = WeightFormat.F32;
        bool merge = false;
        var rest = new List<string>();
        LoraTargets? targets = null;
        // targets= takes the rest of the string, so a regex may hold commas ("layers\.\d{1,2}\.")
        int t = spec.IndexOf("targets=", StringComparison.OrdinalIgnoreCase);
        if (t >= 0 && (t == 0 || spec[t - 1] == ','))
        {
            try { targets = LoraTargets.Parse(spec[(t + "targets=".Length)..].Trim()); }
            catch (MantisException e) { throw new MantisException($"{where}: {e.Message}"); }
            spec = spec[..t];
        }
        if (spec.Trim() is not ("" or "default"))
            foreach (var raw in spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                string part = raw.ToLowerInvariant() switch { "dora" => "dora=true", "rslora" => "rslora=true", "merge" => "merge=true", _ => raw };
                int eq = part.IndexOf('=');
                string key = eq > 0 ? part[..eq].Trim().ToLowerInvariant() : "";
                string value = eq > 0 ? part[(eq + 1)..].Trim() : "";
                if (key == "base") baseFormat = FrozenBase.Parse(value, $"{where}: lora");
                else if (key == "merge")
                    merge = value.ToLowerInvariant() switch
                    {
                        "true" or "1" or "yes" => true,
                        "false" or "0" or "no" => false,
                        _ => throw new MantisException($"{where}: lora: merge expects true or false, got '{value}'"),
                    };
                else rest.Add(part);
            }
        LoraSettings settings;
        try { settings = LoraSettings.Parse(string.Join(",", rest)); }
        catch (MantisException e) { throw new MantisException($"{where}: {e.Message}"); }
        if (targets is not null) settings = settings with { Targets = targets };
        return new LoraTrainingOptions(settings, baseFormat, merge);
    }

    /// <summary>The canonical string form (what a checkpoint records).</summary>
    public override string ToString()
    {
        var s = Settings;
        string targets = s.Targets.Pattern ?? string.Join("|", s.Targets.Names!);
        return FormattableString.Invariant($"r={s.Rank},alpha={s.Alpha:R},dropout={s.Dropout:R},dora={(s.UseDora ? "true" : "false")},rslora={(s.UseRslora ? "true" : "false")},base={Base.Name()},merge={(WriteMerged ? "true" : "false")},targets={targets}");
    }
}
