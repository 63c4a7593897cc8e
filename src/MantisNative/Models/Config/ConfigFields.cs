using System.Text.Json;

namespace MantisNative.Models.Config;

/// <summary>
/// Typed reads from one JSON object of a config file. Every error names the file and the full field path
/// (e.g. <c>text_config.rope_scaling.factor</c>). An absent field gives the default the caller passes,
/// which is the default of the matching transformers config class.
/// </summary>
internal readonly struct ConfigFields
{
    private readonly JsonElement _obj;

    public ConfigFields(JsonElement obj, string file, string prefix)
    {
        _obj = obj;
        File = file;
        Prefix = prefix;
    }

    public string File { get; }
    public string Prefix { get; }

    public string FieldPath(string name) => Prefix + name;

    public MantisException Error(string name, string problem) =>
        new($"{File}: field '{FieldPath(name)}' {problem}");

    /// <summary>The raw element, or null when absent. JSON null counts as present.</summary>
    public JsonElement? Raw(string name) => _obj.TryGetProperty(name, out var e) ? e : null;

    public bool Has(string name) => _obj.TryGetProperty(name, out _);

    /// <summary>Absent or null.</summary>
    public bool IsMissingOrNull(string name) => !_obj.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null;

    public int Int(string name, int dflt)
    {
        if (!_obj.TryGetProperty(name, out var e)) return dflt;
        return AsInt(name, e);
    }

    /// <summary>An int that may be null (null or absent gives <paramref name="dflt"/>).</summary>
    public int? NullableInt(string name, int? dflt)
    {
        if (!_obj.TryGetProperty(name, out var e)) return dflt;
        if (e.ValueKind == JsonValueKind.Null) return null;
        return AsInt(name, e);
    }

    public int PositiveInt(string name, int dflt)
    {
        int v = Int(name, dflt);
        if (v <= 0) throw Error(name, $"must be a positive integer, got {v}");
        return v;
    }

    public double Double(string name, double dflt)
    {
        if (!_obj.TryGetProperty(name, out var e)) return dflt;
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out double v) || !double.IsFinite(v))
            throw Error(name, $"must be a number, got {e.GetRawText()}");
        return v;
    }

    public double PositiveDouble(string name, double dflt)
    {
        double v = Double(name, dflt);
        if (!(v > 0)) throw Error(name, $"must be positive, got {v}");
        return v;
    }

    public bool Bool(string name, bool dflt)
    {
        if (!_obj.TryGetProperty(name, out var e)) return dflt;
        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(name, $"must be true or false, got {e.GetRawText()}"),
        };
    }

    public string? String(string name, string? dflt)
    {
        if (!_obj.TryGetProperty(name, out var e)) return dflt;
        if (e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.String) throw Error(name, $"must be a string, got {e.GetRawText()}");
        return e.GetString();
    }

    /// <summary>An int or a list of ints (e.g. eos_token_id); absent gives <paramref name="dflt"/>, null gives none.</summary>
    public int[] IntOrList(string name, int[] dflt)
    {
        if (!_obj.TryGetProperty(name, out var e)) return dflt;
        switch (e.ValueKind)
        {
            case JsonValueKind.Null: return [];
            case JsonValueKind.Number: return [AsInt(name, e)];
            case JsonValueKind.Array:
                var list = new List<int>();
                foreach (var x in e.EnumerateArray()) list.Add(AsInt(name, x));
                return list.ToArray();
            default: throw Error(name, $"must be an integer or a list of integers, got {e.GetRawText()}");
        }
    }

    /// <summary>A nested object (absent or null gives null).</summary>
    public ConfigFields? Object(string name)
    {
        if (!_obj.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.Object) throw Error(name, $"must be an object, got {e.GetRawText()}");
        return new ConfigFields(e, File, Prefix + name + ".");
    }

    private int AsInt(string name, JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v)) return v;
        // a whole number too large for an int (1e12, 2**40) is out of range, not "not an integer"
        if (e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double d) && double.IsFinite(d) && Math.Floor(d) == d)
            throw Error(name, $"is out of range: {e.GetRawText()} (must be between {int.MinValue} and {int.MaxValue})");
        throw Error(name, $"must be an integer, got {e.GetRawText()}");
    }
}
