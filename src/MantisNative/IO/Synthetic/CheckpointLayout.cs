using MantisNative.Models.Config;
using MantisNative.Nn;

namespace MantisNative.IO.Synthetic;

/// <summary>One tensor a Hugging Face Llava checkpoint holds: legacy name, shape and what kind of weight it is.</summary>
public sealed record LayoutTensor(string Name, long[] Shape, WeightRole Role)
{
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);
}

/// <summary>
/// Every tensor that transformers' <c>LlavaForConditionalGeneration.save_pretrained</c> writes for a config, in the
/// legacy names of the released Mantis checkpoints: the vision tower (SigLIP with its attention-pooling head, which
/// LLaVA never runs but SiglipVisionModel holds and saves; or CLIP), the projector and the Llama decoder. Written
/// from the Hugging Face module structure, independently of our modules, so a test can hold one against the other.
/// </summary>
public static class CheckpointLayout
{
    public static IReadOnlyList<LayoutTensor> For(LlavaConfig config)
    {
        var list = new List<LayoutTensor>();
        AddVision(list, config.Vision);
        AddProjector(list, config);
        AddLanguage(list, config.Text);
        return list;
    }

    /// <summary>Number of parameters (elements) of the layout.</summary>
    public static long ParameterCount(LlavaConfig config) => For(config).Sum(t => t.ElementCount);

    private static void AddVision(List<LayoutTensor> list, VisionTowerConfig c)
    {
        const string p = "vision_tower.vision_model";
        long d = c.HiddenSize, f = c.IntermediateSize;
        bool clip = c.ModelType == VisionModelType.Clip;
        if (clip) list.Add(new($"{p}.embeddings.class_embedding", [d], WeightRole.Vector));
        list.Add(new($"{p}.embeddings.patch_embedding.weight", [d, c.NumChannels, c.PatchSize, c.PatchSize], WeightRole.Matrix));
        if (!clip) list.Add(new($"{p}.embeddings.patch_embedding.bias", [d], WeightRole.Bias));
        list.Add(new($"{p}.embeddings.position_embedding.weight", [c.NumPositions, d], WeightRole.PositionEmbedding));
        if (clip) AddLayerNorm(list, $"{p}.pre_layrnorm", d);
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            string l = $"{p}.encoder.layers.{i}";
            AddLayerNorm(list, l + ".layer_norm1", d);
            foreach (var proj in new[] { "q_proj", "k_proj", "v_proj", "out_proj" }) AddLinear(list, $"{l}.self_attn.{proj}", d, d, bias: true);
            AddLayerNorm(list, l + ".layer_norm2", d);
            AddLinear(list, l + ".mlp.fc1", d, f, bias: true);
            AddLinear(list, l + ".mlp.fc2", f, d, bias: true);
        }
        AddLayerNorm(list, $"{p}.post_layernorm", d);
        if (clip) return;
        // SiglipMultiheadAttentionPoolingHead: probe, nn.MultiheadAttention (packed in_proj), layernorm, mlp.
        list.Add(new($"{p}.head.probe", [1, 1, d], WeightRole.Vector));
        list.Add(new($"{p}.head.attention.in_proj_weight", [3 * d, d], WeightRole.Matrix));
        list.Add(new($"{p}.head.attention.in_proj_bias", [3 * d], WeightRole.Bias));
        AddLinear(list, $"{p}.head.attention.out_proj", d, d, bias: true);
        AddLayerNorm(list, $"{p}.head.layernorm", d);
        AddLinear(list, $"{p}.head.mlp.fc1", d, f, bias: true);
        AddLinear(list, $"{p}.head.mlp.fc2", f, d, bias: true);
    }

    private static void AddProjector(List<LayoutTensor> list, LlavaConfig c)
    {
        AddLinear(list, "multi_modal_projector.linear_1", c.Vision.HiddenSize, c.Text.HiddenSize, bias: true);
        AddLinear(list, "multi_modal_projector.linear_2", c.Text.HiddenSize, c.Text.HiddenSize, bias: true);
    }

    private static void AddLanguage(List<LayoutTensor> list, LlamaConfig c)
    {
        const string p = "language_model.model";
        long d = c.HiddenSize, q = (long)c.NumAttentionHeads * c.HeadDim, kv = (long)c.NumKeyValueHeads * c.HeadDim;
        list.Add(new($"{p}.embed_tokens.weight", [c.VocabSize, d], WeightRole.Embedding));
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            string l = $"{p}.layers.{i}";
            list.Add(new($"{l}.input_layernorm.weight", [d], WeightRole.NormWeight));
            AddLinear(list, l + ".self_attn.q_proj", d, q, c.AttentionBias);
            AddLinear(list, l + ".self_attn.k_proj", d, kv, c.AttentionBias);
            AddLinear(list, l + ".self_attn.v_proj", d, kv, c.AttentionBias);
            AddLinear(list, l + ".self_attn.o_proj", q, d, c.AttentionBias);
            list.Add(new($"{l}.post_attention_layernorm.weight", [d], WeightRole.NormWeight));
            AddLinear(list, l + ".mlp.gate_proj", d, c.IntermediateSize, c.MlpBias);
            AddLinear(list, l + ".mlp.up_proj", d, c.IntermediateSize, c.MlpBias);
            AddLinear(list, l + ".mlp.down_proj", c.IntermediateSize, d, c.MlpBias);
        }
        list.Add(new($"{p}.norm.weight", [d], WeightRole.NormWeight));
        if (!c.TieWordEmbeddings) list.Add(new("language_model.lm_head.weight", [c.VocabSize, d], WeightRole.Matrix));
    }

    private static void AddLinear(List<LayoutTensor> list, string prefix, long inFeatures, long outFeatures, bool bias)
    {
        list.Add(new(prefix + ".weight", [outFeatures, inFeatures], WeightRole.Matrix));
        if (bias) list.Add(new(prefix + ".bias", [outFeatures], WeightRole.Bias));
    }

    private static void AddLayerNorm(List<LayoutTensor> list, string prefix, long d)
    {
        list.Add(new(prefix + ".weight", [d], WeightRole.NormWeight));
        list.Add(new(prefix + ".bias", [d], WeightRole.NormBias));
    }
}
