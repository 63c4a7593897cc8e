using System.Text.Encodings.Web;
using System.Text.Json;
using MantisNative.Nn.Lora;

namespace MantisNative.IO.Peft;

/// <summary>
/// PEFT's <c>adapter_config.json</c> for a LoRA / DoRA adapter (LoraConfig's field names). Reading accepts what PEFT
/// writes and refuses, naming the field, what we cannot apply faithfully (another peft_type, fan_in_fan_out, bias
/// training, modules_to_save, layer selection, ...); writing gives a file PEFT's <c>PeftModel.from_pretrained</c> reads.
/// </summary>
public sealed record PeftAdapterConfig(LoraSettings Settings, string? BaseModelNameOrPath)
{
    public const string FileName = "adapter_config.json";

    public static PeftAdapterConfig Load(string folderOrFile)
    {
        string path = Directory.Exists(folderOrFile) ? Path.Combine(folderOrFile, FileName) : folderOrFile;
        if (!File.Exists(path)) throw new MantisException($"{path}: adapter config not found (a PEFT adapter folder holds {FileName} and adapter_model.safetensors)");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new MantisException($"{path}: cannot read: {e.Message}", e); }
        return Parse(bytes, path);
    }

    public static PeftAdapterConfig Parse(ReadOnlySpan<byte> json, string path)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json.ToArray()); }
        catch (JsonException e) { throw new MantisException($"{path}: not valid JSON: {e.Message}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new MantisException($"{path}: must be a JSON object");
            string peftType = String(root, "peft_type", path) ?? throw new MantisException($"{path}: has no 'peft_type'");
            if (peftType != "LORA") throw new MantisException($"{path}: peft_type is '{peftType}'; only LORA adapters (LoRA, DoRA) are supported");
            Refuse(root, path, "fan_in_fan_out", v => v.ValueKind == JsonValueKind.True, "weights stored [in, out] (fan_in_fan_out) are not supported");
            Refuse(root, path, "bias", v => v.ValueKind == JsonValueKind.String && v.GetString() != "none", "trained biases (bias other than \"none\") are not supported");
            Refuse(root, path, "modules_to_save", v => v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0, "modules_to_save (fully trained extra modules) is not supported");
            Refuse(root, path, "layers_to_transform", v => v.ValueKind is not JsonValueKind.Null, "layers_to_transform is not supported; use a target_modules regex");
            Refuse(root, path, "trainable_token_indices", v => v.ValueKind is not JsonValueKind.Null, "trainable_token_indices is not supported");
            Refuse(root, path, "target_parameters", v => v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0, "target_parameters is not supported");
            Refuse(root, path, "use_qalora", v => v.ValueKind == JsonValueKind.True, "QALoRA is not supported");

            var (targetRegex, targetNames) = Modules(root, "target_modules", path);
            if (targetRegex is null && targetNames is null) throw new MantisException($"{path}: has no 'target_modules'");
            var (excludeRegex, excludeNames) = Modules(root, "exclude_modules", path);
            var targets = targetRegex is not null
                ? LoraTargets.FromPattern(targetRegex, excludeRegex, excludeNames)
                : LoraTargets.FromNames(targetNames!, excludeRegex, excludeNames);
            var settings = new LoraSettings
            {
                Rank = (int)Number(root, "r", path, 8),
                Alpha = Number(root, "lora_alpha", path, 8),
                Dropout = Number(root, "lora_dropout", path, 0),
                UseDora = Bool(root, "use_dora", path),
                UseRslora = Bool(root, "use_rslora", path),
                Targets = targets,
                RankPattern = Pattern(root, "rank_pattern", path).ToDictionary(kv => kv.Key, kv => (int)kv.Value),
                AlphaPattern = Pattern(root, "alpha_pattern", path),
            };
            if (root.TryGetProperty("r", out var r) && (!r.TryGetInt32(out int ri) || ri != settings.Rank))
                throw new MantisException($"{path}: 'r' must be a positive integer, got {r.GetRawText()}");
            try { settings.Validate(); }
            catch (MantisException e) { throw new MantisException($"{path}: {e.Message}"); }
            return new PeftAdapterConfig(settings, String(root, "base_model_name_or_path", path));
        }
    }

    /// <summary>
    /// Writes adapter_config.json with the fields PEFT's LoraConfig has had since DoRA appeared (0.10), so older and
    /// newer PEFT versions read it; exclude_modules only when set (newer versions only).
    /// </summary>
    public void Save(string folder)
    {
        AtomicFile.Write(Path.Combine(folder, FileName), stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            var s = Settings;
            w.WriteStartObject();
            w.WriteStartObject("alpha_pattern");
            foreach (var (k, v) in s.AlphaPattern.OrderBy(kv => kv.Key, StringComparer.Ordinal)) WriteNumber(w, k, v);
            w.WriteEndObject();
            w.WriteNull("auto_mapping");
            if (BaseModelNameOrPath is null) w.WriteNull("base_model_name_or_path"); else w.WriteString("base_model_name_or_path", BaseModelNameOrPath);
            w.WriteString("bias", "none");
            if (s.Targets.ExcludePattern is not null) w.WriteString("exclude_modules", s.Targets.ExcludePattern);
            else if (s.Targets.ExcludeNames is not null) WriteList(w, "exclude_modules", s.Targets.ExcludeNames);
            w.WriteBoolean("fan_in_fan_out", false);
            w.WriteBoolean("inference_mode", true);
            w.WriteBoolean("init_lora_weights", true);
            w.WriteNull("layers_pattern");
            w.WriteNull("layers_to_transform");
            w.WriteStartObject("loftq_config");
            w.WriteEndObject();
            WriteNumber(w, "lora_alpha", s.Alpha);
            WriteNumber(w, "lora_dropout", s.Dropout);
            w.WriteNull("megatron_config");
            w.WriteString("megatron_core", "megatron.core");
            w.WriteNull("modules_to_save");
            w.WriteString("peft_type", "LORA");
            w.WriteNumber("r", s.Rank);
            w.WriteStartObject("rank_pattern");
            foreach (var (k, v) in s.RankPattern.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteNumber(k, v);
            w.WriteEndObject();
            w.WriteNull("revision");
            if (s.Targets.Pattern is not null) w.WriteString("target_modules", s.Targets.Pattern);
            else WriteList(w, "target_modules", s.Targets.Names!);
            w.WriteString("task_type", "CAUSAL_LM");
            w.WriteBoolean("use_dora", s.UseDora);
            w.WriteBoolean("use_rslora", s.UseRslora);
            w.WriteEndObject();
        });
    }

    /// <summary>Integral values as JSON integers (PEFT writes lora_alpha 256, not 256.0).</summary>
    private static void WriteNumber(Utf8JsonWriter w, string name, double v)
    {
        if (v == Math.Floor(v) && Math.Abs(v) < 1e15) w.WriteNumber(name, (long)v); else w.WriteNumber(name, v);
    }

    private static void WriteList(Utf8JsonWriter w, string name, IReadOnlyList<string> items)
    {
        w.WriteStartArray(name);
        foreach (var i in items) w.WriteStringValue(i);
        w.WriteEndArray();
    }

    private static void Refuse(JsonElement root, string path, string field, Func<JsonElement, bool> bad, string why)
    {
        if (root.TryGetProperty(field, out var v) && bad(v)) throw new MantisException($"{path}: {why} ('{field}': {v.GetRawText()})");
    }

    private static string? String(JsonElement root, string field, string path)
    {
        if (!root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw new MantisException($"{path}: '{field}' must be a string, got {v.GetRawText()}");
    }

    private static double Number(JsonElement root, string field, string path, double fallback)
    {
        if (!root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw new MantisException($"{path}: '{field}' must be a number, got {v.GetRawText()}");
    }

    private static bool Bool(JsonElement root, string field, string path)
    {
        if (!root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return false;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new MantisException($"{path}: '{field}' must be true or false, got {v.GetRawText()}"),
        };
    }

    /// <summary>target_modules / exclude_modules: a regex string or a list of names (PEFT accepts both).</summary>
    private static (string? Regex, IReadOnlyList<string>? Names) Modules(JsonElement root, string field, string path)
    {
        if (!root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return (null, null);
        if (v.ValueKind == JsonValueKind.String) return (v.GetString(), null);
        if (v.ValueKind != JsonValueKind.Array) throw new MantisException($"{path}: '{field}' must be a regex string or a list of module names, got {v.GetRawText()}");
        var names = new List<string>();
        foreach (var e in v.EnumerateArray())
            names.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new MantisException($"{path}: '{field}' lists {e.GetRawText()}, not a module name"));
        if (names.Contains("all-linear"))
            throw new MantisException($"{path}: '{field}' uses the 'all-linear' shorthand, which depends on the model class; list the modules or give a regex");
        return (null, names);
    }

    private static Dictionary<string, double> Pattern(JsonElement root, string field, string path)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        if (!root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return result;
        if (v.ValueKind != JsonValueKind.Object) throw new MantisException($"{path}: '{field}' must be an object of pattern to number");
        foreach (var p in v.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number) throw new MantisException($"{path}: '{field}' maps '{p.Name}' to {p.Value.GetRawText()}, not a number");
            result[p.Name] = p.Value.GetDouble();
        }
        return result;
    }
}
