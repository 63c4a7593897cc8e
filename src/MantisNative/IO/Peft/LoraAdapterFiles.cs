using MantisNative.Models;
using MantisNative.Nn.Lora;
using MantisNative.Tensors;

namespace MantisNative.IO.Peft;

/// <summary>
/// Between a model's attached adapters (<see cref="LoraAdapterSet"/>) and PEFT's folder layout (<see cref="PeftAdapter"/>):
/// fresh adapters on the modules the settings select, adapters read from a folder, adapters written to one.
/// Attaching freezes every base parameter: only the adapters train. The base may hold its matrices frozen in
/// bf16 / int8 / NF4 (<see cref="ModelLoadOptions.Weights"/>: QLoRA); the adapters run on top of any format.
/// </summary>
public static class LoraAdapterFiles
{
    /// <summary>Fresh adapters (PEFT's initialisation) on every Linear of the model the settings' target_modules select.</summary>
    public static LoraAdapterSet AttachFresh(MantisModel model, LoraSettings settings, ulong seed)
    {
        Freeze(model, settings);
        return LoraAdapterSet.CreateFresh(model.Parameters, settings, p => PeftAdapter.Targets(settings, p), seed);
    }

    /// <summary>The adapter of a PEFT folder (or one already read) on the model's modules it names.</summary>
    public static LoraAdapterSet Attach(MantisModel model, PeftAdapter adapter, ulong seed)
    {
        var values = adapter.Modules.ToDictionary(kv => kv.Key, kv => new LoraLayerValues(kv.Value.A, kv.Value.B, kv.Value.Magnitude), StringComparer.Ordinal);
        Freeze(model, adapter.Settings);
        return LoraAdapterSet.FromValues(model.Parameters, adapter.Settings, values, seed);
    }

    /// <summary>The set as a PEFT adapter (host copies of its tensors).</summary>
    public static PeftAdapter ToPeft(LoraAdapterSet set, string? baseModelNameOrPath, Func<string, float[]?>? masters = null) =>
        new(new PeftAdapterConfig(set.Settings, baseModelNameOrPath), set.Values(masters).Select(kv =>
        {
            var l = set.Layers.First(x => x.ModulePath == kv.Key);
            return new LoraModuleWeights(kv.Key, l.Rank, l.InFeatures, l.OutFeatures, kv.Value.A, kv.Value.B, kv.Value.Magnitude);
        }));

    /// <summary>Writes the set in PEFT's layout (fp32 tensors unless <paramref name="storeAs"/> says otherwise);
    /// <paramref name="masters"/> (by PEFT tensor name) supplies the fp32 masters of a GPU run's BF16 adapters.</summary>
    public static void Save(LoraAdapterSet set, string folder, string? baseModelNameOrPath, DType storeAs = DType.F32, Func<string, float[]?>? masters = null) =>
        ToPeft(set, baseModelNameOrPath, masters).Save(folder, storeAs);

    // every base parameter frozen (a base loaded with ModelLoadOptions.Weights holds its matrices frozen already)
    private static void Freeze(MantisModel model, LoraSettings settings)
    {
        settings.Validate();
        model.SetTrainable(vision: false, projector: false, language: false);
    }
}
