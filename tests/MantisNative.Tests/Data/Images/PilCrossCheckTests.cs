using MantisNative.Data.Images;
using NUnit.Framework;
using static MantisNative.Tests.Data.Images.ImageTestPaths;

namespace MantisNative.Tests.Data.Images;

/// <summary>
/// Decodes and resizes against Pillow 9.4's own output (fixtures/pil-images, made by make_pil_images.py there):
/// every filter on odd sizes up and down, and JPEG/WebP/GIF/palette/LA/CMYK decoding.
/// </summary>
public class PilCrossCheckTests
{
    private static readonly Lazy<Dictionary<string, TestSafetensors.Tensor>> Expected =
        new(() => TestSafetensors.Read(Fixture("pil-images", "expected.safetensors")));

    private static IEnumerable<string> Keys(string prefix) =>
        TestSafetensors.Read(Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "pil-images", "expected.safetensors"))
            .Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order();

    public static IEnumerable<string> ResizeCases() => Keys("resize.");
    public static IEnumerable<string> DecodeCases() => Keys("decode.");

    [TestCaseSource(nameof(ResizeCases))]
    public void ResizeIsBitExact(string key)
    {
        // key: resize.<filter>.<W>x<H>
        var parts = key.Split('.');
        var filter = Enum.Parse<PilResample>(parts[1], ignoreCase: true);
        var wh = parts[2].Split('x').Select(int.Parse).ToArray();
        var src = ImageDecoder.DecodeFile(Fixture("pil-images", "source.png"));
        var got = PilResize.Resize(src, wh[0], wh[1], filter);
        var want = Expected.Value[key];
        Assert.That(want.Shape, Is.EqualTo(new[] { wh[1], wh[0], 3 }));
        int diff = CountDiff(got.Pixels, want.Data, out int maxDiff);
        TestContext.Out.WriteLine($"{key}: {diff} bytes differ, max {maxDiff}");
        Assert.That(diff, Is.Zero, key);
    }

    [TestCaseSource(nameof(DecodeCases))]
    public void DecodeMatchesPil(string key)
    {
        string file = key["decode.".Length..];
        var want = Expected.Value[key];
        var got = ImageDecoder.DecodeFile(Fixture("pil-images", file), new ImageDecodeOptions { ApplyExifOrientation = false });
        Assert.That(new[] { got.Height, got.Width, 3 }, Is.EqualTo(want.Shape), file);
        int diff = CountDiff(got.Pixels, want.Data, out int maxDiff);
        TestContext.Out.WriteLine($"{file}: {diff} of {got.Pixels.Length} bytes differ from PIL, max {maxDiff}");
        Assert.That(diff, Is.Zero, file);
    }

    [Test]
    public void ExifOrientationMatchesPilExifTranspose()
    {
        var want = Expected.Value["decode_exif.photo_exif6.jpg"];
        var got = ImageDecoder.DecodeFile(Fixture("pil-images", "photo_exif6.jpg"));
        Assert.That(new[] { got.Height, got.Width, 3 }, Is.EqualTo(want.Shape));
        Assert.That(CountDiff(got.Pixels, want.Data, out _), Is.Zero);
    }

    private static int CountDiff(byte[] got, float[] want, out int maxDiff)
    {
        Assert.That(got.Length, Is.EqualTo(want.Length));
        int n = 0;
        maxDiff = 0;
        for (int i = 0; i < got.Length; i++)
        {
            int d = Math.Abs(got[i] - (int)want[i]);
            if (d != 0) n++;
            maxDiff = Math.Max(maxDiff, d);
        }
        return n;
    }
}
