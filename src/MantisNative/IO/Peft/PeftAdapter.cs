using MantisNative.Nn.Lora;
using MantisNative.Tensors;

namespace MantisNative.IO.Peft;

/// <summary>One adapted Linear: lora_A [r, in], lora_B [out, r] and, for DoRA, the magnitude [out].</summary>
public sealed record LoraModuleWeights(string ModulePath, int Rank, int InFeatures, int OutFeatures, float[] A, float[] B, float[]? Magnitude);

/// <summary>
/// A LoRA / DoRA adapter in PEFT's folder layout: <c>adapter_config.json</c> and <c>adapter_model.safetensors</c>
/// with PEFT's tensor names, <c>base_model.model.{module path}.lora_A.weight</c>, <c>.lora_B.weight</c> and, with
/// DoRA, <c>.lora_magnitude_vector</c> (no ".weight": PEFT keeps the old ParameterDict key). Module paths are
/// written in the legacy Llava naming the released Mantis checkpoints use (PEFT maps them onto transformers>=4.52
/// models through the model's checkpoint conversion mapping); both namings are read.
/// </summary>
public sealed class PeftAdapter
{
    public const string WeightsFileName = "adapter_model.safetensors";
    public const string KeyPrefix = "base_model.model.";
    private const string SuffixA = ".lora_A.weight", SuffixB = ".lora_B.weight", SuffixMagnitude = ".lora_magnitude_vector";

    public PeftAdapter(PeftAdapterConfig config, IEnumerable<LoraModuleWeights> modules)
    {
        Config = config;
        Modules = modules.ToDictionary(m => m.ModulePath, StringComparer.Ordinal);
    }

    public PeftAdapterConfig Config { get; }
    public LoraSettings Settings => Config.Settings;

    /// <summary>Adapted modules by legacy module path (e.g. "language_model.model.layers.0.self_attn.q_proj").</summary>
    public IReadOnlyDictionary<string, LoraModuleWeights> Modules { get; }

    /// <summary>Reads and checks an adapter folder; every inconsistency is a <see cref="MantisException"/> naming the tensor.</summary>
    public static PeftAdapter Load(string folder)
    {
        if (!Directory.Exists(folder)) throw new MantisException($"{folder}: adapter folder not found");
        var config = PeftAdapterConfig.Load(folder);
        string path = Path.Combine(folder, WeightsFileName);
        if (!File.Exists(path))
            throw new MantisException(File.Exists(Path.Combine(folder, "adapter_model.bin"))
                ? $"{folder}: holds adapter_model.bin (pickle); only adapter_model.safetensors is read (PEFT writes it with safe_serialization=True, the default)"
                : $"{path}: not found");
        using var file = SafetensorsFile.Open(path);
        var parts = new Dictionary<string, (string? A, string? B, string? M)>(StringComparer.Ordinal);
        foreach (var name in file.Names)
        {
            if (!name.StartsWith(KeyPrefix, StringComparison.Ordinal))
                throw new MantisException($"{path}: tensor '{name}' does not start with '{KeyPrefix}'; not a PEFT LoRA adapter of a whole model");
            string rest = name[KeyPrefix.Length..];
            string module; char kind;
            if (rest.EndsWith(SuffixA, StringComparison.Ordinal)) { module = rest[..^SuffixA.Length]; kind = 'A'; }
            else if (rest.EndsWith(SuffixB, StringComparison.Ordinal)) { module = rest[..^SuffixB.Length]; kind = 'B'; }
            else if (rest.EndsWith(SuffixMagnitude, StringComparison.Ordinal)) { module = rest[..^SuffixMagnitude.Length]; kind = 'M'; }
            else throw new MantisException($"{path}: tensor '{name}' is not a lora_A / lora_B / lora_magnitude_vector weight (embedding, bias or other adapter kinds are not supported)");
            string legacy = LegacyModulePath(module);
            var p = parts.GetValueOrDefault(legacy);
            parts[legacy] = kind switch { 'A' => p with { A = name }, 'B' => p with { B = name }, _ => p with { M = name } };
        }
        if (parts.Count == 0) throw new MantisException($"{path}: holds no adapter tensors");

        var modules = new List<LoraModuleWeights>();
        foreach (var (module, (a, b, m)) in parts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (a is null || b is null) throw new MantisException($"{path}: module '{module}' has {(a is null ? "lora_B but no lora_A" : "lora_A but no lora_B")}");
            if (!Targets(config.Settings, module))
                throw new MantisException($"{path}: holds weights for '{module}', which target_modules of {PeftAdapterConfig.FileName} does not select");
            var ia = file.GetInfo(a); var ib = file.GetInfo(b);
            if (ia.Rank != 2 || ib.Rank != 2 || ia.Dim(0) != ib.Dim(1))
                throw new MantisException($"{path}: '{a}' {ia.ShapeString} and '{b}' {ib.ShapeString} are not lora_A [r, in] and lora_B [out, r]");
            int r = (int)ia.Dim(0), inF = (int)ia.Dim(1), outF = (int)ib.Dim(0);
            int expectedRank = config.Settings.RankFor(module);
            if (r != expectedRank)
                throw new MantisException($"{path}: '{a}' has rank {r}, but {PeftAdapterConfig.FileName} gives this module r = {expectedRank}");
            float[]? magnitude = null;
            if (config.Settings.UseDora)
            {
                if (m is null) throw new MantisException($"{path}: use_dora is true but module '{module}' has no lora_magnitude_vector");
                var im = file.GetInfo(m);
                if (im.ElementCount != outF || im.Rank is not (1 or 2))
                    throw new MantisException($"{path}: '{m}' has shape {im.ShapeString}, expected [{outF}]");
                magnitude = file.ReadFloat32(m);
            }
            else if (m is not null) throw new MantisException($"{path}: '{m}' is a DoRA magnitude, but use_dora is false in {PeftAdapterConfig.FileName}");
            modules.Add(new LoraModuleWeights(module, r, inF, outF, file.ReadFloat32(a), file.ReadFloat32(b), magnitude));
        }
        return new PeftAdapter(config, modules);
    }

    /// <summary>Writes adapter_config.json and adapter_model.safetensors (lora weights stored as <paramref name="storeAs"/>).</summary>
    public void Save(string folder, DType storeAs = DType.F32)
    {
        try { Directory.CreateDirectory(folder); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new MantisException($"{folder}: cannot create the adapter folder: {e.Message}"); }
        var writer = new SafetensorsWriter();
        writer.Metadata["format"] = "pt";
        foreach (var m in Modules.Values)
        {
            string key = KeyPrefix + m.ModulePath;
            writer.AddFloat32(key + SuffixA, [m.Rank, m.InFeatures], m.A, storeAs);
            writer.AddFloat32(key + SuffixB, [m.OutFeatures, m.Rank], m.B, storeAs);
            if (m.Magnitude is not null) writer.AddFloat32(key + SuffixMagnitude, [m.OutFeatures], m.Magnitude, storeAs);
        }
        writer.Save(Path.Combine(folder, WeightsFileName));
        Config.Save(folder);
    }

    /// <summary>The legacy Llava path of a module path in either naming.</summary>
    public static string LegacyModulePath(string module) => CheckpointNames.ToLegacy(module + ".weight")[..^".weight".Length];

    /// <summary>Whether the settings select a module, whichever of the two Llava namings their pattern was written for.</summary>
    public static bool Targets(LoraSettings settings, string legacyModulePath) =>
        settings.Targets.Matches(legacyModulePath)
        || settings.Targets.Matches(CheckpointNames.ToNewStyle(legacyModulePath + ".weight")[..^".weight".Length]);
}
