using MantisNative.Autograd;

namespace MantisNative.Models.Config;

/// <summary>The transformers names (config.json hidden_act) of the activations <see cref="Ops.Activate"/> runs.</summary>
public static class ActivationNames
{
    /// <summary>Maps a transformers ACT2FN name to an <see cref="Activation"/>; false for names we do not implement.</summary>
    public static bool TryParse(string name, out Activation act)
    {
        switch (name)
        {
            case "gelu": act = Activation.Gelu; return true;
            case "gelu_pytorch_tanh":
            case "gelu_new":
            case "gelu_fast": act = Activation.GeluTanh; return true;
            case "quick_gelu": act = Activation.QuickGelu; return true;
            case "silu":
            case "swish": act = Activation.Silu; return true;
            default: act = default; return false;
        }
    }

    /// <summary>The transformers name written to config.json.</summary>
    public static string ToHfName(this Activation act) => act switch
    {
        Activation.Gelu => "gelu",
        Activation.GeluTanh => "gelu_pytorch_tanh",
        Activation.QuickGelu => "quick_gelu",
        Activation.Silu => "silu",
        _ => throw new ArgumentOutOfRangeException(nameof(act)),
    };

    internal static Activation Read(ConfigFields f, string name, string dflt)
    {
        string s = f.String(name, dflt) ?? throw f.Error(name, "must be an activation name, got null");
        if (!TryParse(s, out var act))
            throw f.Error(name, $"is '{s}', an activation MantisNative does not implement (supported: gelu, gelu_pytorch_tanh, gelu_new, gelu_fast, quick_gelu, silu)");
        return act;
    }
}
