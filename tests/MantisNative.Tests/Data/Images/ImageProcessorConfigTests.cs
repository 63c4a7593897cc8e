using MantisNative.Data.Images;
using NUnit.Framework;
using static MantisNative.Tests.Data.Images.ImageTestPaths;

namespace MantisNative.Tests.Data.Images;

public class ImageProcessorConfigTests
{
    [Test]
    public void TinyConfigsParse()
    {
        var sig = ImageProcessorConfig.Load(Fixture("images-tiny", "siglip", "preprocessor_config.json"));
        Assert.That(sig.Kind, Is.EqualTo(ImageProcessorKind.Siglip));
        Assert.That(sig.Size, Is.EqualTo(ImageResizeSize.Exact(32, 32)));
        Assert.That(sig.Resample, Is.EqualTo(PilResample.Bicubic));
        Assert.That(sig.RescaleFactor, Is.EqualTo(1.0 / 255));
        Assert.That(sig.DoCenterCrop, Is.False);

        var clip = ImageProcessorConfig.Load(Fixture("images-tiny", "clip", "preprocessor_config.json"));
        Assert.That(clip.Kind, Is.EqualTo(ImageProcessorKind.Clip));
        Assert.That(clip.Size, Is.EqualTo(ImageResizeSize.Shortest(32)));
        Assert.That(clip.CropSize, Is.EqualTo(ImageResizeSize.Exact(32, 32)));
        Assert.That(clip.ImageMean, Is.EqualTo(ImageProcessorConfig.OpenAiClipMean));
        Assert.That(clip.ImageStd, Is.EqualTo(ImageProcessorConfig.OpenAiClipStd));
    }

    [Test]
    public void MissingFieldsTakeClassDefaultsAndIntSizesFollowTransformers()
    {
        var clip = ImageProcessorConfig.Parse("""{"image_processor_type": "CLIPImageProcessor", "size": 336, "crop_size": 336}""", "x");
        Assert.That(clip.Size, Is.EqualTo(ImageResizeSize.Shortest(336)));
        Assert.That(clip.CropSize, Is.EqualTo(ImageResizeSize.Square(336)));
        Assert.That(clip.DoCenterCrop, Is.True);
        var sig = ImageProcessorConfig.Parse("""{"image_processor_type": "SiglipImageProcessor", "do_normalize": false}""", "x");
        Assert.That(sig.Size, Is.EqualTo(ImageResizeSize.Square(224)));
        Assert.That(sig.DoNormalize, Is.False);
    }

    [TestCase("{", "not valid JSON")]
    [TestCase("""{"image_processor_type": "ViTImageProcessor"}""", "ViTImageProcessor")]
    [TestCase("""{"size": {"height": 3, "width": 3}}""", "image_processor_type")]
    [TestCase("""{"image_processor_type": "SiglipImageProcessor", "image_mean": [0.5, 0.5]}""", "image_mean")]
    [TestCase("""{"image_processor_type": "SiglipImageProcessor", "size": {"shortest_edge": 5}}""", "size")]
    [TestCase("""{"image_processor_type": "SiglipImageProcessor", "size": {"height": -1, "width": 4}}""", "size.height")]
    [TestCase("""{"image_processor_type": "CLIPImageProcessor", "resample": 9}""", "resample")]
    [TestCase("""{"image_processor_type": "CLIPImageProcessor", "do_resize": "yes"}""", "do_resize")]
    public void BadConfigsNameTheFileAndField(string json, string mention)
    {
        var e = Assert.Throws<MantisException>(() => ImageProcessorConfig.Parse(json, "models/x/preprocessor_config.json"));
        Assert.That(e!.Message, Does.Contain("models/x/preprocessor_config.json").And.Contain(mention));
    }

    [Test]
    public void MissingConfigFileIsNamed()
    {
        var e = Assert.Throws<MantisException>(() => ImageProcessor.FromConfig("/no/such/preprocessor_config.json"));
        Assert.That(e!.Message, Does.Contain("/no/such/preprocessor_config.json"));
    }

    [Test]
    public void ForVisionConfigPicksTheClassAndSize()
    {
        var s = ImageProcessor.ForVisionConfig("siglip_vision_model", 384);
        Assert.That(s, Is.InstanceOf<SiglipImageProcessor>());
        Assert.That(s.Config.Size, Is.EqualTo(ImageResizeSize.Square(384)));
        var c = ImageProcessor.ForVisionConfig(ImageProcessorKind.Clip, 336);
        Assert.That(c, Is.InstanceOf<ClipImageProcessor>());
        Assert.That(c.Config.CropSize, Is.EqualTo(ImageResizeSize.Square(336)));
        Assert.Throws<MantisException>(() => ImageProcessor.ForVisionConfig("vit", 224));
    }

    [Test]
    public void ProcessEncodedEqualsProcessFile()
    {
        string path = Fixture("images-tiny", "siglip", "image0.png");
        var p = ImageProcessor.FromConfig(Fixture("images-tiny", "siglip", "preprocessor_config.json"));
        Assert.That(p.ProcessEncoded(File.ReadAllBytes(path), "image0").Data, Is.EqualTo(p.ProcessFile(path).Data));
    }

    [Test]
    public void SiglipOutputIsInMinusOneToOne()
    {
        var p = ImageProcessor.ForVisionConfig(ImageProcessorKind.Siglip, 8)
            .Process(new RgbImage(2, 1, [0, 0, 0, 255, 255, 255]));
        Assert.That((p.Height, p.Width), Is.EqualTo((8, 8)));
        Assert.That(p.Data.Min(), Is.EqualTo(-1f));
        Assert.That(p.Data.Max(), Is.EqualTo(1f));
    }
}
