using MantisNative.Inference;
using MantisNative.IO;
using MantisNative.IO.Synthetic;
using MantisNative.Models.Config;
using MantisNative.Tensors;
using MantisNative.Tests.Cli;
using NUnit.Framework;

namespace MantisNative.Tests.IO.Synthetic;

[NonParallelizable] // the CLI cases redirect the console
public class RandomCheckpointTests
{
    /// <summary>Mantis-8B's shapes at a width small enough for a test; the vocabulary stays Llama-3's (ids 128000+).</summary>
    internal static LlavaConfig TinyMantisShapes(int layers = 2) => Mantis8BConfig.Create(layers, visionLayers: 2) with
    {
        Vision = Mantis8BConfig.Create().Vision with { HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 2, NumAttentionHeads = 2, ImageSize = 28 },
        Text = Mantis8BConfig.Create().Text with
        {
            HiddenSize = 16, IntermediateSize = 40, NumHiddenLayers = layers, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 4,
        },
        ImageSeqLength = 4,
    };

    [TestCase("tiny-siglip-llama")]
    [TestCase("tiny-clip-llama")]
    public void LayoutIsExactlyWhatTransformersSaved(string fixture)
    {
        // The fixtures were written by transformers' own save_pretrained: same names, same shapes, nothing else.
        var config = LlavaConfigFile.Load(TestFiles.Fixture(fixture, "config.json"));
        using var file = SafetensorsFile.Open(TestFiles.Fixture(fixture, "model.safetensors"));
        var expected = file.Tensors.ToDictionary(t => t.Name, t => string.Join(",", t.Shape));
        var layout = CheckpointLayout.For(config).ToDictionary(t => t.Name, t => string.Join(",", t.Shape));
        Assert.That(layout, Is.EquivalentTo(expected));
    }

    [Test]
    public void Mantis8BShapesAndParameterCount()
    {
        var layout = CheckpointLayout.For(Mantis8BConfig.Create()).ToDictionary(t => t.Name, t => t.Shape);
        // 27 SigLIP layers x 16 + 16 others (embeddings 3, post-LN 2, pooling head 11); projector 4; 32 Llama layers x 9 + 3
        Assert.That(layout, Has.Count.EqualTo(27 * 16 + 16 + 4 + 32 * 9 + 3));
        Assert.That(layout["language_model.model.embed_tokens.weight"], Is.EqualTo(new long[] { 128258, 4096 }));
        Assert.That(layout["language_model.lm_head.weight"], Is.EqualTo(new long[] { 128258, 4096 }));
        Assert.That(layout["language_model.model.layers.31.self_attn.k_proj.weight"], Is.EqualTo(new long[] { 1024, 4096 }));
        Assert.That(layout["language_model.model.layers.0.mlp.down_proj.weight"], Is.EqualTo(new long[] { 4096, 14336 }));
        Assert.That(layout["vision_tower.vision_model.embeddings.patch_embedding.weight"], Is.EqualTo(new long[] { 1152, 3, 14, 14 }));
        Assert.That(layout["vision_tower.vision_model.embeddings.position_embedding.weight"], Is.EqualTo(new long[] { 729, 1152 }));
        Assert.That(layout["vision_tower.vision_model.encoder.layers.26.mlp.fc1.weight"], Is.EqualTo(new long[] { 4304, 1152 }));
        Assert.That(layout["multi_modal_projector.linear_1.weight"], Is.EqualTo(new long[] { 4096, 1152 }));
        Assert.That(layout.ContainsKey("language_model.model.layers.32.mlp.up_proj.weight"), Is.False);

        long full = CheckpointLayout.ParameterCount(Mantis8BConfig.Create());
        Assert.That(full, Is.EqualTo(8_480_007_232L), "Llama-3-8B with 2 added rows (8,030,277,632) + SigLIP so400m with head + projector");
        long four = CheckpointLayout.ParameterCount(Mantis8BConfig.Create(decoderLayers: 4));
        Assert.That(full - four, Is.EqualTo(28L * 218_112_000), "one Llama-3-8B decoder layer has 218,112,000 parameters");
    }

    [Test]
    public void ShardLimitGivesTheAskedNumberOfShards()
    {
        long[] sizes = [5, 1, 1, 7, 2, 2, 9, 3];
        foreach (int n in new[] { 1, 2, 3, 4, 6 })
        {
            long max = ShardPlan.MaxShardBytesFor(sizes, n);
            Assert.That(ShardPlan.CountShards(sizes, max), Is.LessThanOrEqualTo(n), $"{n} shards");
            // smallest such limit (a tensor never splits, so the largest tensor bounds it from below)
            Assert.That(max == sizes.Max() || ShardPlan.CountShards(sizes, max - 1) > n, $"{max} is the smallest limit for {n} shards");
        }
    }

    [Test]
    public void WritesFourBf16ShardsWithAnIndexThatLoadsAndChats()
    {
        string dir = TestFiles.Scratch();
        try
        {
            // a small vocabulary, so no single tensor dominates the split (and the tokenizer puts the specials after the bytes)
            var config = TinyMantisShapes() with { ImageTokenIndex = 300, PadTokenId = 301 };
            config = config with { Text = config.Text with { VocabSize = 320, BosTokenId = 302, EosTokenIds = [303], PadTokenId = 301 } };
            var summary = RandomCheckpointWriter.Write(dir, config, new RandomCheckpointOptions { Seed = 3 });
            var layout = CheckpointLayout.For(config);
            Assert.That(summary.Shards, Is.EqualTo(4));
            Assert.That(summary.Parameters, Is.EqualTo(layout.Sum(t => t.ElementCount)));
            for (int i = 1; i <= 4; i++) Assert.That(File.Exists(Path.Combine(dir, $"model-0000{i}-of-00004.safetensors")), $"shard {i}");
            Assert.That(File.Exists(Path.Combine(dir, "model.safetensors")), Is.False);

            var index = ShardIndex.Load(Path.Combine(dir, ShardIndex.FileName));
            Assert.That(index.WeightMap.Keys, Is.EquivalentTo(layout.Select(t => t.Name)));
            Assert.That(index.TotalSize, Is.EqualTo(summary.WeightBytes));
            Assert.That(summary.WeightBytes, Is.EqualTo(summary.Parameters * 2));
            using (var cp = ShardedCheckpoint.Open(Path.Combine(dir, ShardIndex.FileName)))
            {
                foreach (var t in layout)
                {
                    var info = cp.GetInfo(t.Name);
                    Assert.That(info.DType, Is.EqualTo(DType.BF16), t.Name);
                    Assert.That(info.Shape, Is.EqualTo(t.Shape), t.Name);
                }
                // matrices: uniform with std 1/sqrt(fan_in); norms exactly 1; biases exactly 0
                var gate = cp.ReadFloat32("language_model.model.layers.1.mlp.gate_proj.weight");
                double std = Math.Sqrt(gate.Select(v => (double)v * v).Average());
                Assert.That(std, Is.EqualTo(1 / Math.Sqrt(16)).Within(0.1 / Math.Sqrt(16)), "640 samples: std within 10 %");
                Assert.That(gate.Max(), Is.LessThanOrEqualTo(Math.Sqrt(3) / 4 * 1.004), "uniform bound (bf16 rounding 0.4 %)");
                Assert.That(cp.ReadFloat32("language_model.model.norm.weight"), Is.All.EqualTo(1f));
                Assert.That(cp.ReadFloat32("multi_modal_projector.linear_2.bias"), Is.All.EqualTo(0f));
            }

            var loadedConfig = LlavaConfigFile.Load(dir);
            Assert.That(loadedConfig.TorchDtype, Is.EqualTo("bfloat16"));
            Assert.That(loadedConfig with { TorchDtype = null }, Is.EqualTo(config with { TorchDtype = null }));
            using var pipeline = MantisPipeline.Load(dir);
            var answer = pipeline.Ask("<image> what is it?", [TestFiles.Fixture("tiny-siglip-llama", "image0.png")],
                new GenerationOptions { MaxNewTokens = 3 });
            Assert.That(answer, Is.Not.Null);
        }
        finally { TestFiles.Cleanup(dir); }
    }

    [Test]
    public void WithTheLlama3VocabularyTheSpecialTokensHaveLlama3Ids()
    {
        string dir = TestFiles.Scratch();
        try
        {
            var summary = RandomCheckpointWriter.Write(dir, TinyMantisShapes(layers: 1), new RandomCheckpointOptions { Shards = 4 });
            Assert.That(summary.Shards, Is.InRange(2, 4), "embed_tokens and lm_head dominate: at most 4 shards");
            using var pipeline = MantisPipeline.Load(dir);
            var tok = pipeline.Bundle.Tokenizer;
            Assert.That(tok.TokenToId("<|begin_of_text|>"), Is.EqualTo(128000));
            Assert.That(tok.TokenToId("<|end_of_text|>"), Is.EqualTo(128001));
            Assert.That(tok.TokenToId("<|start_header_id|>"), Is.EqualTo(128006));
            Assert.That(tok.TokenToId("<|end_header_id|>"), Is.EqualTo(128007));
            Assert.That(tok.TokenToId("<|eot_id|>"), Is.EqualTo(128009));
            Assert.That(tok.TokenToId("<image>"), Is.EqualTo(128256));
            Assert.That(tok.TokenToId("<|pad|>"), Is.EqualTo(128257));
            Assert.That(tok.Decode(tok.Encode("héllo wörld", addBos: false)), Is.EqualTo("héllo wörld"), "bytes alone encode any text");
            Assert.That(pipeline.Ask("<image> what is it?", [TestFiles.Fixture("tiny-siglip-llama", "image0.png")],
                new GenerationOptions { MaxNewTokens = 2 }), Is.Not.Null);
        }
        finally { TestFiles.Cleanup(dir); }
    }

    [Test]
    public void SameSeedSameBytesOtherSeedOtherBytes()
    {
        string a = TestFiles.Scratch(), b = TestFiles.Scratch(), c = TestFiles.Scratch();
        try
        {
            var config = TinyMantisShapes(layers: 1);
            RandomCheckpointWriter.Write(a, config, new RandomCheckpointOptions { Seed = 1, Shards = 1 });
            RandomCheckpointWriter.Write(b, config, new RandomCheckpointOptions { Seed = 1, Shards = 1 });
            RandomCheckpointWriter.Write(c, config, new RandomCheckpointOptions { Seed = 2, Shards = 1 });
            var bytes = File.ReadAllBytes(Path.Combine(a, "model.safetensors"));
            Assert.That(File.ReadAllBytes(Path.Combine(b, "model.safetensors")), Is.EqualTo(bytes));
            Assert.That(File.ReadAllBytes(Path.Combine(c, "model.safetensors")), Is.Not.EqualTo(bytes));
        }
        finally { TestFiles.Cleanup(a); TestFiles.Cleanup(b); TestFiles.Cleanup(c); }
    }

    [Test]
    public void CommandWritesTheConfigShapesWithTheLayerCountAndRefusesBadInput()
    {
        string dir = TestFiles.Scratch(), cfgDir = TestFiles.Scratch();
        try
        {
            TinyMantisShapes(layers: 5).Save(Path.Combine(cfgDir, "config.json"));
            string outDir = Path.Combine(dir, "ckpt");
            var r = CliRun.Run("make-checkpoint", "--output", outDir, "--model-config", Path.Combine(cfgDir, "config.json"), "--layers", "3", "--shards", "2");
            Assert.That(r.Code, Is.EqualTo(0), r.Err);
            Assert.That(r.Out, Does.Contain("in 2 shard(s)"));
            var written = LlavaConfigFile.Load(outDir);
            Assert.That(written.Text.NumHiddenLayers, Is.EqualTo(3));
            var index = ShardIndex.Load(Path.Combine(outDir, ShardIndex.FileName));
            Assert.That(index.WeightMap.Keys, Does.Contain("language_model.model.layers.2.mlp.down_proj.weight"));
            Assert.That(index.WeightMap.Keys, Does.Not.Contain("language_model.model.layers.3.mlp.down_proj.weight"));

            CliRun.AssertOneLineError(CliRun.Run("make-checkpoint", "--output", outDir, "--config", Path.Combine(cfgDir, "config.json")), "not empty");
            CliRun.AssertOneLineError(CliRun.Run("make-checkpoint", "--output", Path.Combine(dir, "x"), "--dtype", "int8"), "--dtype");
            CliRun.AssertOneLineError(CliRun.Run("make-checkpoint", "--output", Path.Combine(dir, "y"), "--layers", "-1"), "--layers");
            Assert.That(Directory.Exists(Path.Combine(dir, "x")), Is.False, "nothing written on bad input");
        }
        finally { TestFiles.Cleanup(dir); TestFiles.Cleanup(cfgDir); }
    }
}
