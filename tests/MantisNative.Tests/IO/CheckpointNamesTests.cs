using MantisNative.IO;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.IO;

public class CheckpointNamesTests
{
    [TestCase("model.language_model.layers.0.self_attn.q_proj.weight", "language_model.model.layers.0.self_attn.q_proj.weight")]
    [TestCase("model.language_model.embed_tokens.weight", "language_model.model.embed_tokens.weight")]
    [TestCase("model.vision_tower.vision_model.post_layernorm.bias", "vision_tower.vision_model.post_layernorm.bias")]
    [TestCase("model.multi_modal_projector.linear_1.weight", "multi_modal_projector.linear_1.weight")]
    [TestCase("lm_head.weight", "language_model.lm_head.weight")]
    [TestCase("language_model.model.norm.weight", "language_model.model.norm.weight")]
    [TestCase("vision_tower.vision_model.embeddings.patch_embedding.weight", "vision_tower.vision_model.embeddings.patch_embedding.weight")]
    [TestCase("something.else", "something.else")]
    public void NewStyleMapsToLegacy(string name, string legacy)
    {
        Assert.That(CheckpointNames.ToLegacy(name), Is.EqualTo(legacy));
        Assert.That(CheckpointNames.ToLegacy(CheckpointNames.ToNewStyle(legacy)), Is.EqualTo(legacy));
    }

    [Test]
    public void LegacyLookupsWorkOnNewStyleFile()
    {
        string dir = TestFiles.Scratch();
        try
        {
            string path = Path.Combine(dir, "model.safetensors");
            using (var f = SafetensorsFile.Open(TestFiles.Fixture("tiny-clip-llama", "model.safetensors")))
            {
                var w = new SafetensorsWriter();
                foreach (var name in f.Names) w.AddFrom(f, name, CheckpointNames.ToNewStyle(name));
                w.Save(path);
            }
            using var original = SafetensorsFile.Open(TestFiles.Fixture("tiny-clip-llama", "model.safetensors"));
            using (var raw = SafetensorsFile.Open(path))
            {
                Assert.That(raw.Contains("lm_head.weight"), Is.True);
                Assert.That(raw.Contains("language_model.lm_head.weight"), Is.False);
            }
            using var view = Checkpoint.OpenWithLegacyNames(dir);
            Assert.That(view.Names, Is.EquivalentTo(original.Names));
            foreach (var name in original.Names)
                Assert.That(view.ReadFloat32(name), Is.EqualTo(original.ReadFloat32(name)), name);
            Assert.That(view.ActualName("language_model.lm_head.weight"), Is.EqualTo("lm_head.weight"));
            Assert.That(view.Contains("model.language_model.norm.weight"), Is.True, "new-style lookups work too");
            var e = Assert.Throws<MantisException>(() => view.GetInfo("language_model.model.nope"))!;
            Assert.That(e.Message, Does.Contain("language_model.model.nope").And.Contain("model.language_model.nope"));
        }
        finally { TestFiles.Cleanup(dir); }
    }

    [Test]
    public void LegacyFileWorksThroughTheView()
    {
        using var view = Checkpoint.OpenWithLegacyNames(TestFiles.Fixture("tiny-siglip-llama", "model.safetensors"));
        Assert.That(view.GetInfo("language_model.lm_head.weight").Shape, Is.EqualTo(new long[] { 320, 64 }));
        Assert.That(view.GetInfo("lm_head.weight").Name, Is.EqualTo("language_model.lm_head.weight"));
    }

    [Test]
    public void BothSpellingsOfOneWeightIsAnError()
    {
        string dir = TestFiles.Scratch();
        try
        {
            var w = new SafetensorsWriter();
            w.Add("lm_head.weight", DType.U8, [1], new byte[1]);
            w.Add("language_model.lm_head.weight", DType.U8, [1], new byte[1]);
            string path = Path.Combine(dir, "m.safetensors");
            w.Save(path);
            var e = Assert.Throws<MantisException>(() => Checkpoint.OpenWithLegacyNames(path))!;
            Assert.That(e.Message, Does.Contain("lm_head.weight").And.Contain(path));
        }
        finally { TestFiles.Cleanup(dir); }
    }
}
