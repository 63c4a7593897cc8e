using MantisNative.Autograd;
using System.Text.Json;

namespace MantisNative.Models.Config;

public enum VisionModelType
{
    /// <summary><c>siglip_vision_model</c>: no class token, learned position per patch.</summary>
    Siglip,
    /// <summary><c>clip_vision_model</c>: class token, pre_layrnorm.</summary>
    Clip,
}

/// <summary>
/// <c>vision_config</c> of a Llava config: SigLIP or CLIP vision transformer. Defaults are those of
/// transformers' SiglipVisionConfig / CLIPVisionConfig for the field that is absent.
/// </summary>
public sealed record VisionTowerConfig
{
    public VisionModelType ModelType { get; init; } = VisionModelType.Siglip;
    public int HiddenSize { get; init; } = 768;
    public int IntermediateSize { get; init; } = 3072;
    public int NumHiddenLayers { get; init; } = 12;
    public int NumAttentionHeads { get; init; } = 12;
    public int NumChannels { get; init; } = 3;
    public int ImageSize { get; init; } = 224;
    public int PatchSize { get; init; } = 16;
    public Activation HiddenAct { get; init; } = Activation.GeluTanh;
    public double LayerNormEps { get; init; } = 1e-6;
    public double AttentionDropout { get; init; }
    /// <summary>CLIP only (the unused projection head's width); kept so a saved config matches.</summary>
    public int? ProjectionDim { get; init; }

    /// <summary>The transformers model_type string.</summary>
    public string HfModelType => ModelType == VisionModelType.Siglip ? "siglip_vision_model" : "clip_vision_model";

    public int HeadDim => HiddenSize / NumAttentionHeads;
    public int PatchesPerSide => ImageSize / PatchSize;
    public int NumPatches => PatchesPerSide * PatchesPerSide;
    public bool HasClassToken => ModelType == VisionModelType.Clip;

    /// <summary>Tokens out of the tower per image (patches, plus the class token for CLIP).</summary>
    public int NumPositions => NumPatches + (HasClassToken ? 1 : 0);

    /// <summary>transformers' SiglipVisionConfig() defaults.</summary>
    public static VisionTowerConfig SiglipDefaults() => new();

    /// <summary>transformers' CLIPVisionConfig() defaults.</summary>
    public static VisionTowerConfig ClipDefaults() => new()
    {
        ModelType = VisionModelType.Clip, HiddenSize = 768, IntermediateSize = 3072, NumHiddenLayers = 12,
        NumAttentionHeads = 12, NumChannels = 3, ImageSize = 224, PatchSize = 32, HiddenAct = Activation.QuickGelu,
        LayerNormEps = 1e-5, ProjectionDim = 512,
    };

    /// <summary>
    /// What LlavaConfig builds when config.json has no vision_config at all: CLIP ViT-L/14-336
    /// (transformers: CLIPVisionConfig(intermediate_size=4096, hidden_size=1024, patch_size=14, image_size=336,
    /// num_hidden_layers=24, num_attention_heads=16, projection_dim=768)).
    /// </summary>
    public static VisionTowerConfig LlavaDefault() => ClipDefaults() with
    {
        IntermediateSize = 4096, HiddenSize = 1024, PatchSize = 14, ImageSize = 336, NumHiddenLayers = 24,
        NumAttentionHeads = 16, ProjectionDim = 768,
    };

    internal static VisionTowerConfig Read(ConfigFields f)
    {
        // LlavaConfig: a vision_config without model_type is taken as CLIP.
        string type = f.String("model_type", "clip_vision_model") ?? "clip_vision_model";
        var d = type switch
        {
            "siglip_vision_model" => SiglipDefaults(),
            "clip_vision_model" => ClipDefaults(),
            _ => throw f.Error("model_type", $"is '{type}', a vision tower MantisNative does not implement (supported: siglip_vision_model, clip_vision_model)"),
        };
        var c = new VisionTowerConfig
        {
            ModelType = d.ModelType,
            HiddenSize = f.PositiveInt("hidden_size", d.HiddenSize),
            IntermediateSize = f.PositiveInt("intermediate_size", d.IntermediateSize),
            NumHiddenLayers = f.PositiveInt("num_hidden_layers", d.NumHiddenLayers),
            NumAttentionHeads = f.PositiveInt("num_attention_heads", d.NumAttentionHeads),
            NumChannels = f.PositiveInt("num_channels", d.NumChannels),
            ImageSize = f.PositiveInt("image_size", d.ImageSize),
            PatchSize = f.PositiveInt("patch_size", d.PatchSize),
            HiddenAct = ActivationNames.Read(f, "hidden_act", d.HiddenAct.ToHfName()),
            LayerNormEps = f.PositiveDouble("layer_norm_eps", d.LayerNormEps),
            AttentionDropout = LlamaConfig.ZeroDropout(f, "attention_dropout"),
            ProjectionDim = d.ModelType == VisionModelType.Clip ? f.PositiveInt("projection_dim", d.ProjectionDim!.Value) : null,
        };
        if (c.HiddenSize % c.NumAttentionHeads != 0)
            throw f.Error("num_attention_heads", $"({c.NumAttentionHeads}) must divide hidden_size ({c.HiddenSize})");
        if (c.PatchSize > c.ImageSize)
            throw f.Error("patch_size", $"({c.PatchSize}) is larger than image_size ({c.ImageSize})");
        long patchesPerSide = c.ImageSize / c.PatchSize;
        if (patchesPerSide * patchesPerSide >= int.MaxValue / 2)
            throw f.Error("image_size", $"({c.ImageSize}) with patch_size {c.PatchSize} gives {patchesPerSide * patchesPerSide} patches per image, out of range");
        return c;
    }

    internal void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("model_type", HfModelType);
        w.WriteNumber("hidden_size", HiddenSize);
        w.WriteNumber("intermediate_size", IntermediateSize);
        w.WriteNumber("num_hidden_layers", NumHiddenLayers);
        w.WriteNumber("num_attention_heads", NumAttentionHeads);
        w.WriteNumber("num_channels", NumChannels);
        w.WriteNumber("image_size", ImageSize);
        w.WriteNumber("patch_size", PatchSize);
        w.WriteString("hidden_act", HiddenAct.ToHfName());
        ConfigJson.WriteDouble(w, "layer_norm_eps", LayerNormEps);
        ConfigJson.WriteDouble(w, "attention_dropout", AttentionDropout);
        if (ProjectionDim is int p) w.WriteNumber("projection_dim", p);
        w.WriteEndObject();
    }
}
