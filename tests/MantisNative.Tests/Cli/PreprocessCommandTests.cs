using MantisNative.Data.Images;
using MantisNative.IO;
using MantisNative.Tests.Inference;
using NUnit.Framework;
using static MantisNative.Tests.Cli.CliRun;

namespace MantisNative.Tests.Cli;

[NonParallelizable] // redirects the console
public class PreprocessCommandTests
{
    private static string TempFile(string name) => Path.Combine(Path.GetTempPath(), $"mantis-pre-{Guid.NewGuid():N}-{name}");

    [TestCase("siglip", 48)]
    [TestCase("clip", 40)]
    public void WritesEachImagesTensorUnderItsFileName(string processor, int size)
    {
        var images = TinyModelFolder.Shared.TwoImages;
        var output = TempFile("out.safetensors");
        try
        {
            var (code, _, err) = Run(new[] { "preprocess", "--processor", processor, "--size", size.ToString(), "--output", output }.Concat(images).ToArray());
            Assert.That(code, Is.EqualTo(0), err);
            var reference = ImageProcessor.ForVisionConfig(processor == "siglip" ? ImageProcessorKind.Siglip : ImageProcessorKind.Clip, size);
            using var file = SafetensorsFile.Open(output);
            Assert.That(file.Names, Is.EquivalentTo(images.Select(Path.GetFileName)));
            foreach (var path in images)
            {
                var name = Path.GetFileName(path);
                Assert.That(file.GetInfo(name).Shape, Is.EqualTo(new long[] { 3, size, size }));
                Assert.That(file.ReadFloat32(name), Is.EqualTo(reference.ProcessFile(path).Data));
            }
        }
        finally { File.Delete(output); }
    }

    [Test]
    public void AConfigFileDecidesTheProcessor()
    {
        var config = TempFile("preprocessor_config.json");
        var output = TempFile("out.safetensors");
        File.WriteAllText(config, "{\"image_processor_type\": \"SiglipImageProcessor\", \"size\": {\"height\": 20, \"width\": 24}, " +
            "\"image_mean\": [0.5, 0.5, 0.5], \"image_std\": [0.5, 0.5, 0.5], \"do_resize\": true, \"do_rescale\": true, \"do_normalize\": true, \"resample\": 3}");
        try
        {
            var image = TinyModelFolder.Shared.TwoImages[0];
            var (code, _, err) = Run("preprocess", "--processor-config", config, "--output", output, image);
            Assert.That(code, Is.EqualTo(0), err);
            using var file = SafetensorsFile.Open(output);
            Assert.That(file.GetInfo(Path.GetFileName(image)).Shape, Is.EqualTo(new long[] { 3, 20, 24 }));
            Assert.That(file.ReadFloat32(Path.GetFileName(image)), Is.EqualTo(ImageProcessor.FromConfig(config).ProcessFile(image).Data));
        }
        finally { File.Delete(config); File.Delete(output); }
    }

    [Test]
    public void ErrorsAreOneLine()
    {
        var image = TinyModelFolder.Shared.TwoImages[0];
        var output = TempFile("out.safetensors");
        AssertOneLineError(Run("preprocess", "--processor", "vit", "--output", output, image), "--processor");
        AssertOneLineError(Run("preprocess", "--processor", "siglip", "--output", output, "/no/such.png"), "/no/such.png");
        AssertOneLineError(Run("preprocess", "--processor", "siglip", "--output", output), "IMAGE");
        AssertOneLineError(Run("preprocess", "--processor", "siglip", "--size", "big", "--output", output, image), "--size");
        AssertOneLineError(Run("preprocess", "--processor", "siglip", "--size", "0", "--output", output, image), "--size");
        AssertOneLineError(Run("preprocess", "--config", "/no/such.json", "--output", output, image), "/no/such.json");
        AssertOneLineError(Run("preprocess", "--processor", "siglip", "--output", "/proc/no-such-dir/out.safetensors", image), "/proc/no-such-dir");
        AssertOneLineError(Run("preprocess", "--processor", "siglip", image), "--output");
        AssertOneLineError(Run("preprocess", "--processor", "siglip", "--output", output, image, image), "same file name");
        Assert.That(File.Exists(output), Is.False);
    }
}
