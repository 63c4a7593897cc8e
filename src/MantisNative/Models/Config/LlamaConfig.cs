using MantisNative.Autograd;
using System.Text.Json;

namespace MantisNative.Models.Config;

/// <summary>
/// <c>text_config</c> of a Llava config: a Llama decoder. Defaults are transformers' LlamaConfig defaults
/// (num_key_value_heads = num_attention_heads, head_dim = hidden_size / num_attention_heads when absent).
/// </summary>
public sealed record LlamaConfig
{
    public int VocabSize { get; init; } = 32000;
    public int HiddenSize { get; init; } = 4096;
    public int IntermediateSize { get; init; } = 11008;
    public int NumHiddenLayers { get; init; } = 32;
    public int NumAttentionHeads { get; init; } = 32;
    public int NumKeyValueHeads { get; init; } = 32;
    public int HeadDim { get; init; } = 128;
    public Activation HiddenAct { get; init; } = Activation.Silu;
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000.0;
    /// <summary>Null: plain RoPE.</summary>
    public RopeScaling? RopeScaling { get; init; }
    public bool AttentionBias { get; init; }
    public bool MlpBias { get; init; }
    public double AttentionDropout { get; init; }
    /// <summary>Whether lm_head shares embed_tokens' weight. This, not the top-level flag, decides for Llava.</summary>
    public bool TieWordEmbeddings { get; init; }
    public int? BosTokenId { get; init; } = 1;
    /// <summary>End-of-sequence ids (config may give one id or a list); empty when null.</summary>
    public int[] EosTokenIds { get; init; } = [2];
    public int? PadTokenId { get; init; }

    /// <summary>Query heads per key/value head (grouped-query attention).</summary>
    public int KvGroups => NumAttentionHeads / NumKeyValueHeads;

    internal static LlamaConfig Read(ConfigFields f)
    {
        string type = f.String("model_type", "llama") ?? "llama";
        if (type != "llama")
            throw f.Error("model_type", $"is '{type}', a language model MantisNative does not implement (supported: llama)");

        int hidden = f.PositiveInt("hidden_size", 4096);
        int heads = f.PositiveInt("num_attention_heads", 32);
        int kvHeads = f.NullableInt("num_key_value_heads", null) ?? heads;
        if (kvHeads <= 0) throw f.Error("num_key_value_heads", $"must be a positive integer, got {kvHeads}");
        if (heads % kvHeads != 0)
            throw f.Error("num_key_value_heads", $"({kvHeads}) must divide num_attention_heads ({heads})");
        int? headDimRaw = f.NullableInt("head_dim", null);
        if (headDimRaw is null && hidden % heads != 0)
            throw f.Error("num_attention_heads", $"({heads}) must divide hidden_size ({hidden}) when head_dim is not given");
        int headDim = headDimRaw ?? hidden / heads;
        if (headDim <= 0 || headDim % 2 != 0)
            throw f.Error("head_dim", $"must be a positive even integer (RoPE rotates pairs), got {headDim}");

        if (f.Int("pretraining_tp", 1) != 1)
            throw f.Error("pretraining_tp", "other than 1 is not supported");

        // transformers 5.x moves rope_theta and the scaling into rope_parameters.
        double ropeTheta = f.PositiveDouble("rope_theta", 10000.0);
        RopeScaling? scaling = null;
        if (f.Object("rope_parameters") is ConfigFields rp)
        {
            ropeTheta = rp.PositiveDouble("rope_theta", ropeTheta);
            scaling = RopeScaling.Read(rp);
        }
        else if (f.Object("rope_scaling") is ConfigFields rs)
        {
            scaling = RopeScaling.Read(rs);
        }

        return new LlamaConfig
        {
            VocabSize = f.PositiveInt("vocab_size", 32000),
            HiddenSize = hidden,
            IntermediateSize = f.PositiveInt("intermediate_size", 11008),
            NumHiddenLayers = f.PositiveInt("num_hidden_layers", 32),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            HiddenAct = ActivationNames.Read(f, "hidden_act", "silu"),
            MaxPositionEmbeddings = f.PositiveInt("max_position_embeddings", 2048),
            RmsNormEps = f.PositiveDouble("rms_norm_eps", 1e-6),
            RopeTheta = ropeTheta,
            RopeScaling = scaling,
            AttentionBias = f.Bool("attention_bias", false),
            MlpBias = f.Bool("mlp_bias", false),
            AttentionDropout = ZeroDropout(f, "attention_dropout"),
            TieWordEmbeddings = f.Bool("tie_word_embeddings", false),
            BosTokenId = f.NullableInt("bos_token_id", 1),
            EosTokenIds = f.IntOrList("eos_token_id", [2]),
            PadTokenId = f.NullableInt("pad_token_id", null),
        };
    }

    /// <summary>Attention dropout is not implemented: a non-zero rate would train a different model, so it is refused.</summary>
    internal static double ZeroDropout(ConfigFields f, string name)
    {
        double p = f.Double(name, 0.0);
        if (p != 0) throw f.Error(name, $"is {p}; MantisNative does not implement attention dropout (supported: 0)");
        return p;
    }

    // Value equality that includes the id array (a record compares arrays by reference): equal configs are those
    // that serialize alike. Not on any hot path.
    public bool Equals(LlamaConfig? other) => other is not null && Canonical() == other.Canonical();
    public override int GetHashCode() => Canonical().GetHashCode(StringComparison.Ordinal);

    private string Canonical()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) WriteTo(w);
        return System.Text.Encoding.UTF8.GetString(ms.ToArray());
    }

    internal void WriteTo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("model_type", "llama");
        w.WriteNumber("vocab_size", VocabSize);
        w.WriteNumber("hidden_size", HiddenSize);
        w.WriteNumber("intermediate_size", IntermediateSize);
        w.WriteNumber("num_hidden_layers", NumHiddenLayers);
        w.WriteNumber("num_attention_heads", NumAttentionHeads);
        w.WriteNumber("num_key_value_heads", NumKeyValueHeads);
        w.WriteNumber("head_dim", HeadDim);
        w.WriteString("hidden_act", HiddenAct.ToHfName());
        w.WriteNumber("max_position_embeddings", MaxPositionEmbeddings);
        ConfigJson.WriteDouble(w, "rms_norm_eps", RmsNormEps);
        ConfigJson.WriteDouble(w, "rope_theta", RopeTheta);
        w.WritePropertyName("rope_scaling");
        if (RopeScaling is null) w.WriteNullValue();
        else RopeScaling.WriteTo(w);
        w.WriteBoolean("attention_bias", AttentionBias);
        w.WriteBoolean("mlp_bias", MlpBias);
        ConfigJson.WriteDouble(w, "attention_dropout", AttentionDropout);
        w.WriteBoolean("tie_word_embeddings", TieWordEmbeddings);
        ConfigJson.WriteNullableInt(w, "bos_token_id", BosTokenId);
        ConfigJson.WriteIds(w, "eos_token_id", EosTokenIds);
        ConfigJson.WriteNullableInt(w, "pad_token_id", PadTokenId);
        w.WriteEndObject();
    }
}
