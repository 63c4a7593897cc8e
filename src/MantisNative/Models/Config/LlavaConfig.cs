using MantisNative.Autograd;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MantisNative.Models.Config;

/// <summary>How image features are taken from the chosen vision layer.</summary>
public enum VisionFeatureSelectStrategy
{
    /// <summary>"default": drop the first token (CLIP's class token; for SigLIP, the first patch).</summary>
    Default,
    /// <summary>"full": keep all tokens.</summary>
    Full,
}

/// <summary>
/// A Hugging Face <c>config.json</c> of <c>model_type: "llava"</c> (LlavaForConditionalGeneration, as Mantis
/// uses): vision tower, projector settings, Llama text model. Fields absent from the file take transformers'
/// defaults (LlavaConfig: image_token_index 32000, vision_feature_layer -2, strategy "default", projector "gelu";
/// a missing vision_config is CLIP ViT-L/14-336, a missing text_config Llama defaults). A value MantisNative
/// cannot run gives a <see cref="MantisException"/> naming the file and the field.
/// </summary>
public sealed record LlavaConfig
{
    public const string FileName = "config.json";

    public VisionTowerConfig Vision { get; init; } = VisionTowerConfig.LlavaDefault();
    public LlamaConfig Text { get; init; } = new();
    public int ImageTokenIndex { get; init; } = 32000;
    /// <summary>Index into the vision tower's hidden states (0 = embeddings, negative from the end).</summary>
    public int VisionFeatureLayer { get; init; } = -2;
    public VisionFeatureSelectStrategy VisionFeatureSelectStrategy { get; init; } = VisionFeatureSelectStrategy.Default;
    public Activation ProjectorHiddenAct { get; init; } = Activation.Gelu;
    public int ImageSeqLength { get; init; } = 576;
    public int IgnoreIndex { get; init; } = -100;
    /// <summary>Top-level pad id (Mantis puts its &lt;|pad|&gt; id here, not in text_config).</summary>
    public int? PadTokenId { get; init; }
    public int? BosTokenId { get; init; }
    public int[] EosTokenIds { get; init; } = [];
    /// <summary>"float32", "bfloat16", ... as saved (torch_dtype, or dtype in transformers 5); null when absent.</summary>
    public string? TorchDtype { get; init; }

    /// <summary>The vision layer as a non-negative index into the num_hidden_layers + 1 hidden states.</summary>
    public int VisionFeatureLayerIndex =>
        VisionFeatureLayer < 0 ? Vision.NumHiddenLayers + 1 + VisionFeatureLayer : VisionFeatureLayer;

    /// <summary>Image tokens one image becomes in the text sequence (728 for Mantis SigLIP, 576 for CLIP).</summary>
    public int ImageTokensPerImage =>
        Vision.NumPositions - (VisionFeatureSelectStrategy == VisionFeatureSelectStrategy.Default ? 1 : 0);

    public static LlavaConfig Parse(string json, string source = "config.json") =>
        Parse(System.Text.Encoding.UTF8.GetBytes(json), source);

    public static LlavaConfig Parse(ReadOnlySpan<byte> json, string source)
    {
        Utf8Input.EnsureValid(json, source, "config");
        JsonDocument doc;
        try
        {
            // Python's json module writes NaN/Infinity but never comments; trailing commas are not JSON either.
            doc = JsonDocument.Parse(WithoutBom(json).ToArray());
        }
        catch (JsonException e)
        {
            throw new MantisException($"{source}: config is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new MantisException($"{source}: config must be a JSON object");
            return Read(new ConfigFields(doc.RootElement, source, ""));
        }
    }

    private static LlavaConfig Read(ConfigFields f)
    {
        string? type = f.String("model_type", null);
        if (type != "llava")
            throw f.Error("model_type", type is null
                ? "is missing; MantisNative reads Llava configs (model_type \"llava\")"
                : $"is '{type}'; MantisNative reads Llava configs (model_type \"llava\")");

        var vision = f.Object("vision_config") is ConfigFields vf ? VisionTowerConfig.Read(vf) : VisionTowerConfig.LlavaDefault();
        var text = f.Object("text_config") is ConfigFields tf ? LlamaConfig.Read(tf) : new LlamaConfig();

        var layerEl = f.Raw("vision_feature_layer");
        if (layerEl is { ValueKind: JsonValueKind.Array })
            throw f.Error("vision_feature_layer", "is a list (features from several layers); MantisNative supports one layer");
        int layer = f.Int("vision_feature_layer", -2);
        int states = vision.NumHiddenLayers + 1;
        if (layer < -states || layer >= states)
            throw f.Error("vision_feature_layer", $"({layer}) is outside the vision tower's {states} hidden states (-{states}..{states - 1})");

        string strategy = f.String("vision_feature_select_strategy", "default") ?? "default";
        var strat = strategy switch
        {
            "default" => VisionFeatureSelectStrategy.Default,
            "full" => VisionFeatureSelectStrategy.Full,
            _ => throw f.Error("vision_feature_select_strategy", $"is '{strategy}' (supported: default, full)"),
        };

        if (!f.Bool("multimodal_projector_bias", true))
            throw f.Error("multimodal_projector_bias", "is false; MantisNative's projector has biases");

        // transformers 4.48+ also accepts image_token_id (an alias of image_token_index).
        int imageToken = f.Has("image_token_index") ? f.Int("image_token_index", 32000) : f.Int("image_token_id", 32000);
        // Not checked against vocab_size: newer transformers mask image ids before the embedding lookup, and
        // LlavaConfig's own defaults (32000 with a 32000-word Llama) rely on a resized vocabulary.
        if (imageToken < 0)
            throw f.Error(f.Has("image_token_index") || !f.Has("image_token_id") ? "image_token_index" : "image_token_id",
                $"must be a non-negative token id, got {imageToken}");

        string? dtype = f.String("torch_dtype", null) ?? f.String("dtype", null);

        return new LlavaConfig
        {
            Vision = vision,
            Text = text,
            ImageTokenIndex = imageToken,
            VisionFeatureLayer = layer,
            VisionFeatureSelectStrategy = strat,
            ProjectorHiddenAct = ActivationNames.Read(f, "projector_hidden_act", "gelu"),
            ImageSeqLength = f.Int("image_seq_length", 576),
            IgnoreIndex = f.Int("ignore_index", -100),
            PadTokenId = f.NullableInt("pad_token_id", null),
            BosTokenId = f.NullableInt("bos_token_id", null),
            EosTokenIds = f.IntOrList("eos_token_id", []),
            TorchDtype = dtype,
        };
    }

    // Value equality that includes the id arrays (a record compares arrays by reference).
    public bool Equals(LlavaConfig? other) => other is not null && ToJson() == other.ToJson();
    public override int GetHashCode() => ToJson().GetHashCode(StringComparison.Ordinal);

    public string ToJson()
    {
        using var ms = new MemoryStream();
        WriteTo(ms);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    public void WriteTo(Stream stream)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteStartArray("architectures");
        w.WriteStringValue("LlavaForConditionalGeneration");
        w.WriteEndArray();
        w.WriteString("model_type", "llava");
        w.WriteNumber("image_token_index", ImageTokenIndex);
        w.WriteNumber("image_seq_length", ImageSeqLength);
        w.WriteNumber("ignore_index", IgnoreIndex);
        w.WriteNumber("vision_feature_layer", VisionFeatureLayer);
        w.WriteString("vision_feature_select_strategy", VisionFeatureSelectStrategy == VisionFeatureSelectStrategy.Default ? "default" : "full");
        w.WriteString("projector_hidden_act", ProjectorHiddenAct.ToHfName());
        w.WriteBoolean("multimodal_projector_bias", true);
        // The text model decides tying for Llava; the top-level flag is written to agree with it.
        w.WriteBoolean("tie_word_embeddings", Text.TieWordEmbeddings);
        ConfigJson.WriteNullableInt(w, "pad_token_id", PadTokenId);
        ConfigJson.WriteNullableInt(w, "bos_token_id", BosTokenId);
        ConfigJson.WriteIds(w, "eos_token_id", EosTokenIds);
        if (TorchDtype is not null) w.WriteString("torch_dtype", TorchDtype);
        w.WritePropertyName("vision_config");
        Vision.WriteTo(w);
        w.WritePropertyName("text_config");
        Text.WriteTo(w);
        w.WriteEndObject();
    }

    /// <summary>Editors on Windows may start a JSON file with a UTF-8 byte order mark; JSON itself has none.</summary>
    private static ReadOnlySpan<byte> WithoutBom(ReadOnlySpan<byte> json) =>
        json.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? json[3..] : json;
}
