using System.Globalization;
using MantisNative.Inference;

namespace MantisNative.Cli;

/// <summary>The decoding flags shared by commands that generate: --max-new-tokens, --temperature, --top-p, --seed.</summary>
public static class GenerationArgs
{
    public static readonly string[] Names = { "max-new-tokens", "temperature", "top-p", "seed" };

    public static GenerationOptions Read(CliArgs a, int defaultMaxNewTokens)
    {
        int maxNew = a.GetInt("max-new-tokens", defaultMaxNewTokens);
        if (maxNew < 1) throw new MantisException($"mantis {a.Command}: --max-new-tokens must be at least 1, got {maxNew}");
        double temperature = a.GetDouble("temperature", 0);
        if (!double.IsFinite(temperature) || temperature < 0)
            throw new MantisException($"mantis {a.Command}: --temperature must be 0 (greedy) or more, got {a.Get("temperature")}");
        double topP = a.GetDouble("top-p", 1);
        if (!(topP > 0 && topP <= 1)) throw new MantisException($"mantis {a.Command}: --top-p must be in (0, 1], got {a.Get("top-p")}");
        ulong seed = 0;
        if (a.Get("seed") is { } s && !ulong.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed))
            throw new MantisException($"mantis {a.Command}: --seed expects a non-negative integer, got '{s}'");
        return new GenerationOptions { MaxNewTokens = maxNew, Temperature = (float)temperature, TopP = (float)topP, Seed = seed };
    }
}
