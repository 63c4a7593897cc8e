using MantisNative.Autograd;
using MantisNative.IO;
using MantisNative.Models.Config;
using NUnit.Framework;
using MantisNative.Tests.IO;

namespace MantisNative.Tests.Models;

public class LlavaConfigTests
{
    private static LlavaConfig Fixture(string model, string file = "config.json") =>
        LlavaConfigFile.Load(TestFiles.Fixture(model, file));

    [Test]
    public void SiglipFixtureParses()
    {
        var c = Fixture("tiny-siglip-llama");
        Assert.That(c.Vision.ModelType, Is.EqualTo(VisionModelType.Siglip));
        Assert.That((c.Vision.HiddenSize, c.Vision.IntermediateSize, c.Vision.NumHiddenLayers, c.Vision.NumAttentionHeads), Is.EqualTo((32, 64, 2, 4)));
        Assert.That((c.Vision.ImageSize, c.Vision.PatchSize, c.Vision.NumChannels), Is.EqualTo((32, 8, 3)));
        Assert.That(c.Vision.HiddenAct, Is.EqualTo(Activation.GeluTanh));
        Assert.That(c.Vision.LayerNormEps, Is.EqualTo(1e-6));
        Assert.That(c.Vision.HasClassToken, Is.False);
        Assert.That(c.Vision.NumPositions, Is.EqualTo(16));
        Assert.That(c.Vision.ProjectionDim, Is.Null);
        CheckCommon(c);
        Assert.That(c.ImageTokensPerImage, Is.EqualTo(15));
        Assert.That(c.ImageSeqLength, Is.EqualTo(15));
    }

    [Test]
    public void ClipFixtureParses()
    {
        var c = Fixture("tiny-clip-llama");
        Assert.That(c.Vision.ModelType, Is.EqualTo(VisionModelType.Clip));
        Assert.That((c.Vision.HiddenSize, c.Vision.IntermediateSize, c.Vision.NumHiddenLayers, c.Vision.NumAttentionHeads), Is.EqualTo((32, 64, 2, 4)));
        Assert.That(c.Vision.HiddenAct, Is.EqualTo(Activation.QuickGelu), "CLIP default");
        Assert.That(c.Vision.LayerNormEps, Is.EqualTo(1e-5), "CLIP default");
        Assert.That(c.Vision.ProjectionDim, Is.EqualTo(32));
        Assert.That(c.Vision.NumPositions, Is.EqualTo(17));
        CheckCommon(c);
        Assert.That(c.ImageTokensPerImage, Is.EqualTo(16), "class token dropped");
        Assert.That(c.ImageSeqLength, Is.EqualTo(16));
    }

    private static void CheckCommon(LlavaConfig c)
    {
        Assert.That(c.ImageTokenIndex, Is.EqualTo(318));
        Assert.That(c.PadTokenId, Is.EqualTo(319));
        Assert.That(c.VisionFeatureLayer, Is.EqualTo(-2));
        Assert.That(c.VisionFeatureLayerIndex, Is.EqualTo(1));
        Assert.That(c.VisionFeatureSelectStrategy, Is.EqualTo(VisionFeatureSelectStrategy.Default));
        Assert.That(c.ProjectorHiddenAct, Is.EqualTo(Activation.Gelu));
        Assert.That(c.TorchDtype, Is.EqualTo("float32"));
        var t = c.Text;
        Assert.That((t.VocabSize, t.HiddenSize, t.IntermediateSize, t.NumHiddenLayers), Is.EqualTo((320, 64, 176, 2)));
        Assert.That((t.NumAttentionHeads, t.NumKeyValueHeads, t.HeadDim, t.KvGroups), Is.EqualTo((4, 2, 16, 2)));
        Assert.That(t.HiddenAct, Is.EqualTo(Activation.Silu));
        Assert.That(t.MaxPositionEmbeddings, Is.EqualTo(512));
        Assert.That(t.RmsNormEps, Is.EqualTo(1e-5));
        Assert.That(t.RopeTheta, Is.EqualTo(500000.0));
        Assert.That(t.RopeScaling, Is.Null);
        Assert.That(t.TieWordEmbeddings, Is.False, "the fixture's lm_head is untied");
        Assert.That((t.AttentionBias, t.MlpBias), Is.EqualTo((false, false)));
        Assert.That(t.BosTokenId, Is.EqualTo(1));
        Assert.That(t.EosTokenIds, Is.EqualTo(new[] { 2 }));
        Assert.That(t.PadTokenId, Is.Null);
    }

    /// <summary>config.json leaves defaults out, config_full.json spells them all: both must give the same config.</summary>
    [TestCase("tiny-siglip-llama")]
    [TestCase("tiny-clip-llama")]
    public void DefaultsMatchTransformers(string model)
    {
        Assert.That(Fixture(model).ToJson(), Is.EqualTo(Fixture(model, "config_full.json").ToJson()));
    }

    [TestCase("tiny-siglip-llama")]
    [TestCase("tiny-clip-llama")]
    public void SaveAndLoadRoundTrip(string model)
    {
        var c = Fixture(model);
        string dir = TestFiles.Scratch();
        try
        {
            c.Save(dir);
            string path = Path.Combine(dir, "config.json");
            var back = LlavaConfigFile.Load(path);
            Assert.That(back.ToJson(), Is.EqualTo(c.ToJson()));
            Assert.That(back, Is.EqualTo(c));
            Assert.That(back.Text, Is.EqualTo(c.Text));
            Assert.That(back with { ImageTokenIndex = 5 }, Is.Not.EqualTo(c));
            Assert.That(back.Text with { EosTokenIds = [7] }, Is.Not.EqualTo(c.Text));
            string text = File.ReadAllText(path);
            Assert.That(text, Does.Contain("\"LlavaForConditionalGeneration\"").And.Contain("\"model_type\": \"llava\"")
                .And.Contain($"\"model_type\": \"{c.Vision.HfModelType}\"").And.Contain("\"model_type\": \"llama\"")
                .And.Contain("\"rope_theta\": 500000.0").And.Contain("\"rms_norm_eps\": 1e-05"));
            Assert.That(Directory.GetFiles(dir), Has.Length.EqualTo(1));
        }
        finally { TestFiles.Cleanup(dir); }
    }

    [Test]
    public void EmptyLlavaConfigTakesTransformersDefaults()
    {
        var c = LlavaConfig.Parse("{\"model_type\": \"llava\"}");
        Assert.That(c.ImageTokenIndex, Is.EqualTo(32000));
        Assert.That(c.VisionFeatureLayer, Is.EqualTo(-2));
        Assert.That(c.VisionFeatureSelectStrategy, Is.EqualTo(VisionFeatureSelectStrategy.Default));
        Assert.That(c.ProjectorHiddenAct, Is.EqualTo(Activation.Gelu));
        // LlavaConfig's vision default: CLIP ViT-L/14-336.
        var v = c.Vision;
        Assert.That(v.ModelType, Is.EqualTo(VisionModelType.Clip));
        Assert.That((v.HiddenSize, v.IntermediateSize, v.NumHiddenLayers, v.NumAttentionHeads, v.ImageSize, v.PatchSize),
            Is.EqualTo((1024, 4096, 24, 16, 336, 14)));
        Assert.That(v.HiddenAct, Is.EqualTo(Activation.QuickGelu));
        Assert.That(c.ImageTokensPerImage, Is.EqualTo(576));
        // LlamaConfig defaults.
        var t = c.Text;
        Assert.That((t.VocabSize, t.HiddenSize, t.IntermediateSize, t.NumHiddenLayers, t.NumAttentionHeads, t.NumKeyValueHeads, t.HeadDim),
            Is.EqualTo((32000, 4096, 11008, 32, 32, 32, 128)));
        Assert.That((t.MaxPositionEmbeddings, t.RmsNormEps, t.RopeTheta), Is.EqualTo((2048, 1e-6, 10000.0)));
        Assert.That(t.TieWordEmbeddings, Is.False);
    }

    [Test]
    public void NestedConfigsWithoutModelType()
    {
        // LlavaConfig takes a vision_config without model_type as CLIP, a text_config without one as Llama.
        var c = LlavaConfig.Parse("{\"model_type\": \"llava\", \"vision_config\": {}, \"text_config\": {\"hidden_size\": 512, \"num_attention_heads\": 8}}");
        Assert.That(c.Vision.ModelType, Is.EqualTo(VisionModelType.Clip));
        Assert.That((c.Vision.HiddenSize, c.Vision.PatchSize, c.Vision.ImageSize, c.Vision.ProjectionDim), Is.EqualTo((768, 32, 224, 512)));
        Assert.That((c.Text.NumKeyValueHeads, c.Text.HeadDim), Is.EqualTo((8, 64)));

        var s = LlavaConfig.Parse("{\"model_type\": \"llava\", \"vision_config\": {\"model_type\": \"siglip_vision_model\"}}");
        Assert.That((s.Vision.HiddenSize, s.Vision.PatchSize, s.Vision.ImageSize, s.Vision.LayerNormEps), Is.EqualTo((768, 16, 224, 1e-6)));
        Assert.That(s.Vision.HiddenAct, Is.EqualTo(Activation.GeluTanh));
    }

    [Test]
    public void MantisSiglipShapedConfig()
    {
        const string json = """
        {
          "architectures": ["LlavaForConditionalGeneration"], "model_type": "llava", "image_token_index": 128256,
          "pad_token_id": 128257, "projector_hidden_act": "gelu", "torch_dtype": "bfloat16",
          "vision_feature_layer": -2, "vision_feature_select_strategy": "default",
          "text_config": {"model_type": "llama", "vocab_size": 128258, "intermediate_size": 14336, "max_position_embeddings": 8192,
                          "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 500000.0,
                          "bos_token_id": 128000, "eos_token_id": [128001, 128009], "torch_dtype": "bfloat16"},
          "vision_config": {"model_type": "siglip_vision_model", "hidden_act": "gelu_pytorch_tanh", "hidden_size": 1152, "image_size": 384,
                            "intermediate_size": 4304, "layer_norm_eps": 1e-06, "num_attention_heads": 16, "num_hidden_layers": 27, "patch_size": 14}
        }
        """;
        var c = LlavaConfig.Parse(json);
        Assert.That(c.ImageTokensPerImage, Is.EqualTo(728));
        Assert.That(c.Vision.HeadDim, Is.EqualTo(72));
        Assert.That(c.VisionFeatureLayerIndex, Is.EqualTo(26));
        Assert.That((c.Text.HiddenSize, c.Text.NumHiddenLayers, c.Text.HeadDim, c.Text.KvGroups), Is.EqualTo((4096, 32, 128, 4)));
        Assert.That(c.Text.EosTokenIds, Is.EqualTo(new[] { 128001, 128009 }));
        Assert.That(c.Text.BosTokenId, Is.EqualTo(128000));
        Assert.That(LlavaConfig.Parse(c.ToJson()).ToJson(), Is.EqualTo(c.ToJson()));
    }

    [Test]
    public void RopeScalingVariants()
    {
        var l3 = Text("\"rope_scaling\": {\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}");
        Assert.That(l3.RopeScaling, Is.EqualTo(new RopeScaling(RopeScalingType.Llama3, 8.0, 1.0, 4.0, 8192)));
        var lin = Text("\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2}");
        Assert.That(lin.RopeScaling, Is.EqualTo(new RopeScaling(RopeScalingType.Linear, 2.0)));
        Assert.That(Text("\"rope_scaling\": null").RopeScaling, Is.Null);
        Assert.That(Text("\"rope_scaling\": {\"rope_type\": \"default\"}").RopeScaling, Is.Null);
        // transformers 5.x layout
        var v5 = Text("\"rope_parameters\": {\"rope_theta\": 500000.0, \"rope_type\": \"default\"}");
        Assert.That((v5.RopeTheta, v5.RopeScaling), Is.EqualTo((500000.0, (RopeScaling?)null)));

        // llama3 scaling survives a save.
        var c = LlavaConfig.Parse("{\"model_type\": \"llava\", \"text_config\": {\"rope_scaling\": {\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192, \"rope_type\": \"llama3\"}}}");
        Assert.That(LlavaConfig.Parse(c.ToJson()).Text.RopeScaling, Is.EqualTo(c.Text.RopeScaling));
    }

    private static LlamaConfig Text(string fields) =>
        LlavaConfig.Parse("{\"model_type\": \"llava\", \"text_config\": {" + fields + "}}").Text;

    [TestCase("\"text_config\": {\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}}", "text_config.rope_scaling.rope_type", "yarn")]
    [TestCase("\"text_config\": {\"rope_scaling\": {\"type\": \"dynamic\", \"factor\": 4.0}}", "text_config.rope_scaling.type", "dynamic")]
    [TestCase("\"text_config\": {\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}}", "text_config.rope_scaling.low_freq_factor", "required")]
    [TestCase("\"text_config\": {\"hidden_act\": \"relu\"}", "text_config.hidden_act", "relu")]
    [TestCase("\"projector_hidden_act\": \"mish\"", "projector_hidden_act", "mish")]
    [TestCase("\"vision_config\": {\"model_type\": \"dinov2\"}", "vision_config.model_type", "dinov2")]
    [TestCase("\"vision_config\": {\"model_type\": \"clip_vision_model\", \"hidden_act\": \"relu\"}", "vision_config.hidden_act", "relu")]
    [TestCase("\"text_config\": {\"model_type\": \"mistral\"}", "text_config.model_type", "mistral")]
    [TestCase("\"vision_feature_layer\": [-2, -5]", "vision_feature_layer", "list")]
    [TestCase("\"vision_feature_layer\": 30", "vision_feature_layer", "outside")]
    [TestCase("\"vision_feature_select_strategy\": \"cls\"", "vision_feature_select_strategy", "cls")]
    [TestCase("\"multimodal_projector_bias\": false", "multimodal_projector_bias", "false")]
    [TestCase("\"text_config\": {\"num_attention_heads\": 32, \"num_key_value_heads\": 5}", "text_config.num_key_value_heads", "divide")]
    [TestCase("\"text_config\": {\"hidden_size\": \"big\"}", "text_config.hidden_size", "integer")]
    [TestCase("\"text_config\": {\"hidden_size\": -4}", "text_config.hidden_size", "positive")]
    [TestCase("\"text_config\": {\"rms_norm_eps\": \"small\"}", "text_config.rms_norm_eps", "number")]
    [TestCase("\"text_config\": {\"attention_bias\": 1}", "text_config.attention_bias", "true or false")]
    [TestCase("\"image_token_index\": -1", "image_token_index", "non-negative")]
    [TestCase("\"vision_config\": {\"hidden_size\": 100, \"num_attention_heads\": 3}", "vision_config.num_attention_heads", "divide")]
    [TestCase("\"text_config\": 5", "text_config", "object")]
    public void UnsupportedOrBadFieldsNameTheField(string fields, string field, string detail)
    {
        string dir = TestFiles.Scratch();
        try
        {
            string path = Path.Combine(dir, "config.json");
            File.WriteAllText(path, "{\"model_type\": \"llava\", " + fields + "}");
            var e = Assert.Throws<MantisException>(() => LlavaConfigFile.Load(path))!;
            TestContext.Out.WriteLine(e.Message.Replace(path, "<file>"));
            Assert.That(e.Message, Does.Contain(path).And.Contain($"'{field}'").And.Contain(detail));
        }
        finally { TestFiles.Cleanup(dir); }
    }

    [Test]
    public void NotALlavaConfig()
    {
        Assert.That(Assert.Throws<MantisException>(() => LlavaConfig.Parse("{\"model_type\": \"llama\"}", "x.json"))!.Message,
            Does.Contain("x.json").And.Contain("model_type").And.Contain("llama"));
        Assert.That(Assert.Throws<MantisException>(() => LlavaConfig.Parse("{}", "x.json"))!.Message, Does.Contain("model_type"));
        Assert.That(Assert.Throws<MantisException>(() => LlavaConfig.Parse("{\"model_type\": ", "x.json"))!.Message, Does.Contain("not valid JSON"));
        Assert.That(Assert.Throws<MantisException>(() => LlavaConfigFile.Load("/nonexistent/config.json"))!.Message, Does.Contain("not found"));
    }

    [Test]
    public void ByteOrderMarkIsAccepted()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(System.Text.Encoding.UTF8.GetBytes("{\"model_type\": \"llava\"}")).ToArray();
        Assert.That(LlavaConfig.Parse(bytes, "bom.json").ImageTokenIndex, Is.EqualTo(32000));
    }

    [Test]
    public void AttentionAndMlpBiasAreSupported()
    {
        var t = Text("\"attention_bias\": true, \"mlp_bias\": true, \"tie_word_embeddings\": true");
        Assert.That((t.AttentionBias, t.MlpBias, t.TieWordEmbeddings), Is.EqualTo((true, true, true)));
    }

    [TestCase("gelu", Activation.Gelu)]
    [TestCase("gelu_pytorch_tanh", Activation.GeluTanh)]
    [TestCase("gelu_new", Activation.GeluTanh)]
    [TestCase("gelu_fast", Activation.GeluTanh)]
    [TestCase("quick_gelu", Activation.QuickGelu)]
    [TestCase("silu", Activation.Silu)]
    public void ActivationNamesParse(string name, Activation act)
    {
        Assert.That(ActivationNames.TryParse(name, out var a), Is.True);
        Assert.That(a, Is.EqualTo(act));
    }
}
