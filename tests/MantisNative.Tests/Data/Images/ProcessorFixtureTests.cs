using MantisNative.Data.Images;
using MantisNative.Tensors;
using NUnit.Framework;
using static MantisNative.Tests.Data.Images.ImageTestPaths;

namespace MantisNative.Tests.Data.Images;

/// <summary>Processed pixels against transformers 4.47.1 + Pillow 9.4 outputs (fixtures made by those libraries).</summary>
public class ProcessorFixtureTests
{
    // Tiny fixtures are float32: equal floats mean the resize, crop and normalisation all matched bit for bit.
    [TestCase("siglip")]
    [TestCase("clip")]
    public void TinyFixtureImagesMatchPixelValues(string kind)
    {
        var processor = ImageProcessor.FromConfig(Fixture("images-tiny", kind, "preprocessor_config.json"));
        Assert.That(processor, kind == "siglip" ? Is.InstanceOf<SiglipImageProcessor>() : Is.InstanceOf<ClipImageProcessor>());
        var expected = TestSafetensors.Read(Fixture("images-tiny", kind, "pixel_values.safetensors"))["pixel_values"];
        Assert.That(expected.Shape, Is.EqualTo(new[] { 2, 3, 32, 32 }));
        int per = 3 * 32 * 32;
        for (int i = 0; i < 2; i++)
        {
            var got = processor.ProcessFile(Fixture("images-tiny", kind, $"image{i}.png"));
            Assert.That((got.Height, got.Width), Is.EqualTo((32, 32)));
            var want = expected.Data.AsSpan(i * per, per).ToArray();
            var (max, mean) = Diff(got.Data, want);
            int mismatched = got.Data.Zip(want).Count(p => p.First != p.Second);
            TestContext.Out.WriteLine($"tiny {kind} image{i}.png: max |diff| {max:E3}, mean {mean:E3}, {mismatched} of {per} floats not bit-equal");
            Assert.That(max, Is.LessThan(1e-5), $"tiny {kind} image{i}");
        }
    }

    // Large fixtures are stored as F16: rounding our float32 to half and comparing shows whether the
    // underlying 8-bit pixels were identical (one 8-bit level is 2/255 = 0.0078 for SigLIP, far above F16 steps).
    [TestCase("siglip", "photo_800x600.png")]
    [TestCase("siglip", "photo_1000x250.png")]
    [TestCase("siglip", "gray_450x450.png")]
    [TestCase("siglip", "alpha_256x200.png")]
    [TestCase("clip", "photo_800x600.png")]
    [TestCase("clip", "photo_1000x250.png")]
    [TestCase("clip", "gray_450x450.png")]
    [TestCase("clip", "alpha_256x200.png")]
    public void LargeImagesMatchTransformers(string kind, string file)
    {
        var processor = kind == "siglip"
            ? ImageProcessor.Create(ImageProcessorConfig.SiglipDefaults(384))
            : ImageProcessor.Create(ImageProcessorConfig.ClipDefaults(336));
        int size = kind == "siglip" ? 384 : 336;
        var expected = Expected.Value[$"{kind}.{file}"];
        Assert.That(expected.Shape, Is.EqualTo(new[] { 3, size, size }));

        var got = processor.ProcessFile(Fixture("preprocess", file));
        Assert.That((got.Height, got.Width), Is.EqualTo((size, size)));
        var (max, mean) = Diff(got.Data, expected.Data);
        int halfMismatch = got.Data.Zip(expected.Data).Count(p => FloatConversion.FromFloat16(FloatConversion.ToFloat16(p.First)) != p.Second);
        TestContext.Out.WriteLine($"{kind} {file}: max |diff| {max:E3}, mean {mean:E3}, {halfMismatch} of {got.Data.Length} values differ after rounding to F16");
        Assert.That(max, Is.LessThan(0.02), $"{kind} {file}");
        Assert.That(halfMismatch, Is.Zero, $"{kind} {file}: not exact at F16 precision");
    }

    private static readonly Lazy<Dictionary<string, TestSafetensors.Tensor>> Expected =
        new(() => TestSafetensors.Read(Fixture("preprocess", "expected.safetensors")));

    [Test]
    public void PreprocessMetaMatchesProcessorDefaults()
    {
        // The large fixtures' settings (meta.json) are the class defaults at 384 / 336; check we agree.
        var meta = File.ReadAllText(Fixture("preprocess", "meta.json"));
        using var doc = System.Text.Json.JsonDocument.Parse(meta);
        var sig = ImageProcessorConfig.Parse(doc.RootElement.GetProperty("siglip").GetRawText(), "meta.json#siglip");
        var clip = ImageProcessorConfig.Parse(doc.RootElement.GetProperty("clip").GetRawText(), "meta.json#clip");
        Assert.That(sig.ToString(), Is.EqualTo(ImageProcessorConfig.SiglipDefaults(384).ToString()));
        Assert.That(clip.ToString(), Is.EqualTo(ImageProcessorConfig.ClipDefaults(336).ToString()));
    }
}
