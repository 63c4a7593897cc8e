using System.Text.Json;
using MantisNative.IO;
using MantisNative.Tensors;
using NUnit.Framework;

namespace MantisNative.Tests.IO;

/// <summary>Reading the files transformers wrote: names, dtypes and shapes as meta.json lists them, and values.</summary>
[TestFixture("tiny-siglip-llama")]
[TestFixture("tiny-clip-llama")]
public class SafetensorsFixtureTests(string model)
{
    private JsonElement Meta()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TestFiles.Fixture(model, "meta.json")));
        return doc.RootElement.Clone();
    }

    private static long[] Shape(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();

    [Test]
    public void ModelTensorsMatchMeta()
    {
        var meta = Meta().GetProperty("model_tensors");
        using var f = SafetensorsFile.Open(TestFiles.Fixture(model, "model.safetensors"));
        var expected = meta.EnumerateObject().ToDictionary(p => p.Name, p => Shape(p.Value));
        Assert.That(f.Names, Is.EquivalentTo(expected.Keys));
        foreach (var (name, shape) in expected)
        {
            var info = f.GetInfo(name);
            Assert.That(info.DType, Is.EqualTo(DType.F32), name);
            Assert.That(info.Shape, Is.EqualTo(shape), name);
        }
        Assert.That(f.Metadata["format"], Is.EqualTo("pt"));
    }

    [Test]
    public void ExpectedTensorsMatchMeta()
    {
        var meta = Meta().GetProperty("tensors");
        using var f = SafetensorsFile.Open(TestFiles.Fixture(model, "expected.safetensors"));
        int checkedCount = 0;
        foreach (var p in meta.EnumerateObject())
        {
            if (!p.Value.TryGetProperty("shape", out var sh)) continue; // the "grad.<param>" summary line
            var info = f.GetInfo(p.Name);
            string dt = p.Value.GetProperty("dtype").GetString()!;
            Assert.That(info.DType, Is.EqualTo(dt == "int64" ? DType.I64 : DType.F32), p.Name);
            Assert.That(info.Shape, Is.EqualTo(Shape(sh)), p.Name);
            checkedCount++;
        }
        Assert.That(checkedCount, Is.EqualTo(f.Names.Count));
    }

    [Test]
    public void ValuesAgreeWithMeta()
    {
        var meta = Meta();
        using var f = SafetensorsFile.Open(TestFiles.Fixture(model, "expected.safetensors"));
        float loss = f.ReadFloat32("loss")[0];
        Assert.That(loss, Is.EqualTo((float)meta.GetProperty("values").GetProperty("loss").GetDouble()));

        var ids = f.ReadInt64("input_ids");
        int imageToken = meta.GetProperty("image_token_index").GetInt32();
        foreach (var span in meta.GetProperty("image_token_spans").EnumerateArray())
            for (int i = span[0].GetInt32(); i < span[1].GetInt32(); i++)
                Assert.That(ids[i], Is.EqualTo(imageToken));
        Assert.That(ids.Count(x => x == imageToken),
            Is.EqualTo(meta.GetProperty("num_image_tokens_per_image").EnumerateArray().Sum(x => x.GetInt32())));

        var generated = f.ReadInt64("generated_ids");
        var newIds = meta.GetProperty("generation").GetProperty("generated_new_ids").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        Assert.That(generated[^newIds.Length..], Is.EqualTo(newIds));

        var logits = f.ReadFloat32("logits");
        Assert.That(logits.Max(Math.Abs), Is.EqualTo((float)meta.GetProperty("values").GetProperty("max_abs_logit").GetDouble()));
    }

    [Test]
    public void ChunkedReadEqualsWholeRead()
    {
        using var f = SafetensorsFile.Open(TestFiles.Fixture(model, "model.safetensors"));
        const string name = "language_model.model.embed_tokens.weight";
        var whole = f.ReadFloat32(name, 320, 64);
        var part = new float[100];
        f.ReadAsFloat32(name, part, elementOffset: 1000);
        Assert.That(part, Is.EqualTo(whole[1000..1100]));
        Assert.Throws<ArgumentOutOfRangeException>(() => f.ReadAsFloat32(name, new float[10], whole.Length - 5));
    }

    [Test]
    public void IntegerReadOfFloatTensorIsRefused()
    {
        using var f = SafetensorsFile.Open(TestFiles.Fixture(model, "expected.safetensors"));
        var e = Assert.Throws<MantisException>(() => f.ReadInt64("logits"))!;
        Assert.That(e.Message, Does.Contain("logits").And.Contain("expected.safetensors"));
        var e2 = Assert.Throws<MantisException>(() => f.GetInfo("nope"))!;
        Assert.That(e2.Message, Does.Contain("nope"));
        var e3 = Assert.Throws<MantisException>(() => f.ReadFloat32("logits", 1, 2, 3))!;
        Assert.That(e3.Message, Does.Contain("logits").And.Contain("[1, 2, 3]"));
    }

    [Test]
    public void DisposedFileRefusesAccess()
    {
        var f = SafetensorsFile.Open(TestFiles.Fixture(model, "expected.safetensors"));
        f.Dispose();
        Assert.Throws<ObjectDisposedException>(() => f.GetBytes("loss"));
        f.Dispose(); // twice is fine
    }
}
