using System.Text;
using MantisNative.IO;
using MantisNative.Models;
using MantisNative.Models.Config;
using MantisNative.Tests.Cli;
using NUnit.Framework;

namespace MantisNative.Tests.BadInput;

/// <summary>Issue 16 items 1, 2, 3, 8 and 16 (config side): each gave a crash or a silently different model before.</summary>
public class ConfigBadInputTests
{
    private static (int Code, string Out, string Err) Forward(ModelFolder m) =>
        CliRun.Run("forward", "--model", m.Dir, "--inputs", m.Inputs, "--output", Path.Combine(m.Dir, "out.safetensors"));

    [Test]
    public void HugeLayerCountIsRefusedBeforeAllocatingNamingTheField()
    {
        // was: "Out of memory." and SIGABRT
        using var m = new ModelFolder().EditConfig(c => c["text_config"]!.AsObject()["num_hidden_layers"] = int.MaxValue);
        var r = Forward(m);
        CliRun.AssertOneLineError(r, "text_config.num_hidden_layers 2147483647");
        Assert.That(r.Err, Does.Contain("memory"));
    }

    [Test]
    public void ImageSizeThatOverflowsThePatchCountIsAConfigError()
    {
        // was: unhandled ArgumentException "negative dimension in shape [-2116620284, 32]"
        using var m = new ModelFolder().EditConfig(c => c["vision_config"]!.AsObject()["image_size"] = 7479287);
        CliRun.AssertOneLineError(Forward(m), "vision_config.image_size");
    }

    [Test]
    public void InvalidUtf8InsideAConfigStringIsOneLineWithTheOffset()
    {
        // was: unhandled InvalidOperationException "Cannot transcode invalid UTF-8 JSON text"
        using var m = new ModelFolder();
        var bytes = File.ReadAllBytes(m.ConfigPath);
        var text = Encoding.UTF8.GetString(bytes);
        int at = Encoding.UTF8.GetByteCount(text[..(text.IndexOf("\"gelu\"", StringComparison.Ordinal) + 2)]);
        bytes[at] = 0xFF;
        File.WriteAllBytes(m.ConfigPath, bytes);
        var r = Forward(m);
        CliRun.AssertOneLineError(r, "not valid UTF-8");
        Assert.That(r.Err, Does.Contain($"byte {at}"));
    }

    [TestCase("vocab_size", 1e12)]
    [TestCase("hidden_size", 4294967296.0)]
    public void WholeNumbersTooLargeAreOutOfRangeNotNonIntegers(string field, double value)
    {
        using var m = new ModelFolder().EditConfig(c => c["text_config"]!.AsObject()[field] = value);
        var e = Assert.Throws<MantisException>(() => LlavaConfigFile.Load(m.Dir))!;
        Assert.That(e.Message, Does.Contain($"text_config.{field}").And.Contain("out of range").And.Not.Contain("must be an integer"));
        using var m2 = new ModelFolder().EditConfig(c => c["text_config"]!.AsObject()[field] = 1.5);
        Assert.That(Assert.Throws<MantisException>(() => LlavaConfigFile.Load(m2.Dir))!.Message, Does.Contain("must be an integer"));
    }

    [Test]
    public void TextHiddenActIsUsedAndAnUnsupportedOneIsAnError()
    {
        // was: "gelu" accepted and ignored, output bit-identical to silu
        using var silu = new ModelFolder();
        using var gelu = new ModelFolder().EditConfig(c => c["text_config"]!.AsObject()["hidden_act"] = "gelu");
        float[] Logits(string dir)
        {
            using var loaded = ModelFiles.Load(dir);
            using var src = SafetensorsFile.Open(silu.Inputs);
            var ids = src.ReadInt32("input_ids").Where(id => id != 318).ToArray(); // text only: no pixels needed
            using (Autograd.Tape.NoGrad()) return loaded.Model.Forward(ids, 1, null).Logits.ToArray();
        }
        var a = Logits(silu.Dir);
        var b = Logits(gelu.Dir);
        Assert.That(a.Zip(b).Max(p => Math.Abs(p.First - p.Second)), Is.GreaterThan(1e-4f), "gelu(gate) * up is not silu(gate) * up");
        using var relu = new ModelFolder().EditConfig(c => c["text_config"]!.AsObject()["hidden_act"] = "relu");
        Assert.That(Assert.Throws<MantisException>(() => LlavaConfigFile.Load(relu.Dir))!.Message, Does.Contain("text_config.hidden_act").And.Contain("relu"));
    }

    [TestCase("text_config")]
    [TestCase("vision_config")]
    public void AttentionDropoutIsRefusedNotIgnored(string part)
    {
        using var m = new ModelFolder().EditConfig(c => c[part]!.AsObject()["attention_dropout"] = 0.1);
        Assert.That(Assert.Throws<MantisException>(() => LlavaConfigFile.Load(m.Dir))!.Message, Does.Contain($"{part}.attention_dropout"));
    }
}
