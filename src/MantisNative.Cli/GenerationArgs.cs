using System.Globalization;
using MantisNative.Inference;

namespace MantisNative.Cli;

/// <summary>The decoding flags shared by commands that generate: --max-new-tokens, --temperature, --top-p, --seed.</summary>
public static class GenerationArgs
{
    private const double DefaultTemperature = 0, DefaultTopP = 1;
    private const ulong DefaultSeed = 0;

    /// <summary>The four options as a command's table lists them, with <paramref name="defaultMaxNewTokens"/> the command's own default.</summary>
    public static CliOption[] Options(int defaultMaxNewTokens) => new[]
    {
        CliOption.Value("max-new-tokens", "N", "most tokens generated per answer", CliOption.Show(defaultMaxNewTokens)),
        CliOption.Value("temperature", "T", "sampling temperature; 0 is greedy", CliOption.Show(DefaultTemperature)),
        CliOption.Value("top-p", "P", "nucleus sampling: keep the most likely tokens up to this probability, in (0, 1]", CliOption.Show(DefaultTopP)),
        CliOption.Value("seed", "S", "sampling seed", CliOption.Show(DefaultSeed)),
    };

    public static GenerationOptions Read(CliArgs a, int defaultMaxNewTokens)
    {
        int maxNew = a.GetInt("max-new-tokens", defaultMaxNewTokens);
        if (maxNew < 1) throw new MantisException($"mantis {a.Command}: --max-new-tokens must be at least 1, got {maxNew}");
        double temperature = a.GetDouble("temperature", DefaultTemperature);
        if (!double.IsFinite(temperature) || temperature < 0)
            throw new MantisException($"mantis {a.Command}: --temperature must be 0 (greedy) or more, got {a.Get("temperature")}");
        double topP = a.GetDouble("top-p", DefaultTopP);
        if (!(topP > 0 && topP <= 1)) throw new MantisException($"mantis {a.Command}: --top-p must be in (0, 1], got {a.Get("top-p")}");
        ulong seed = DefaultSeed;
        if (a.Get("seed") is { } s && !ulong.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
            throw new MantisException($"mantis {a.Command}: --seed expects a non-negative integer, got '{s}'");
        return new GenerationOptions { MaxNewTokens = maxNew, Temperature = (float)temperature, TopP = (float)topP, Seed = seed };
    }
}
