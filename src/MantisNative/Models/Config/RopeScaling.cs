using System.Text.Json;

namespace MantisNative.Models.Config;

public enum RopeScalingType
{
    /// <summary>Positions divided by <see cref="RopeScaling.Factor"/> (all frequencies scaled alike).</summary>
    Linear,
    /// <summary>Llama 3.1 frequency-dependent scaling (factor, low/high frequency factors, original context).</summary>
    Llama3,
}

/// <summary>The Llama <c>rope_scaling</c> block; null in a config means plain RoPE.</summary>
public sealed record RopeScaling(
    RopeScalingType Type,
    double Factor,
    double LowFreqFactor = 1.0,
    double HighFreqFactor = 4.0,
    int OriginalMaxPositionEmbeddings = 8192)
{
    /// <summary>
    /// Reads <c>rope_scaling</c> (transformers 4.x) or <c>rope_parameters</c> (5.x). Returns null for no
    /// scaling ("default"). Types we do not implement (dynamic, yarn, longrope, ...) give an error naming the field.
    /// </summary>
    internal static RopeScaling? Read(ConfigFields obj)
    {
        // "rope_type" is the current key, "type" the legacy one; transformers accepts either.
        string? type = obj.String("rope_type", null) ?? obj.String("type", null);
        string typeField = obj.Has("rope_type") ? "rope_type" : "type";
        if (type is null)
            throw obj.Error("rope_type", "is missing (the rope scaling block needs 'rope_type' or 'type')");
        switch (type)
        {
            case "default":
                return null;
            case "linear":
                return new RopeScaling(RopeScalingType.Linear, Required(obj, "factor"));
            case "llama3":
                double factor = Required(obj, "factor");
                double low = Required(obj, "low_freq_factor");
                double high = Required(obj, "high_freq_factor");
                if (!obj.Has("original_max_position_embeddings"))
                    throw obj.Error("original_max_position_embeddings", "is required for llama3 rope scaling");
                int orig = obj.PositiveInt("original_max_position_embeddings", 0);
                if (!(high > low))
                    throw obj.Error("high_freq_factor", $"({high}) must be larger than low_freq_factor ({low})");
                return new RopeScaling(RopeScalingType.Llama3, factor, low, high, orig);
            default:
                throw obj.Error(typeField, $"is '{type}', a rope scaling MantisNative does not implement (supported: default, linear, llama3)");
        }
    }

    private static double Required(ConfigFields obj, string name)
    {
        if (!obj.Has(name)) throw obj.Error(name, "is required for this rope scaling type");
        return obj.PositiveDouble(name, 0);
    }

    internal void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        if (Type == RopeScalingType.Linear)
        {
            w.WriteString("rope_type", "linear");
            ConfigJson.WriteDouble(w, "factor", Factor);
        }
        else
        {
            w.WriteString("rope_type", "llama3");
            ConfigJson.WriteDouble(w, "factor", Factor);
            ConfigJson.WriteDouble(w, "low_freq_factor", LowFreqFactor);
            ConfigJson.WriteDouble(w, "high_freq_factor", HighFreqFactor);
            w.WriteNumber("original_max_position_embeddings", OriginalMaxPositionEmbeddings);
        }
        w.WriteEndObject();
    }
}
