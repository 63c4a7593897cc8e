using MantisNative.Data.Images;
using NUnit.Framework;

namespace MantisNative.Tests.Data.Images;

/// <summary>CLIP's shortest-edge size rule and center crop (with transformers' zero padding).</summary>
public class ClipGeometryTests
{
    [TestCase(600, 800, 336, 336, 448)]
    [TestCase(250, 1000, 336, 336, 1344)]
    [TestCase(450, 450, 336, 336, 336)]
    [TestCase(37, 53, 32, 32, 45)]     // int(32 * 53 / 37) = int(45.84): truncated, not rounded
    [TestCase(71, 20, 32, 113, 32)]    // portrait: the width is the short side
    [TestCase(3, 1000, 336, 336, 112000)]
    public void ShortestEdgeSizeTruncatesTheLongSide(int h, int w, int edge, int wantH, int wantW)
    {
        Assert.That(ClipImageProcessor.ResizeOutputSize(h, w, ImageResizeSize.Shortest(edge)), Is.EqualTo((wantH, wantW)));
    }

    [Test]
    public void ExactSizeIsUsedAsIs()
    {
        Assert.That(ClipImageProcessor.ResizeOutputSize(10, 20, ImageResizeSize.Exact(7, 9)), Is.EqualTo((7, 9)));
    }

    [Test]
    public void CropTakesFloorOffsets()
    {
        var img = Indexed(6, 5);                  // w 6, h 5 -> crop 3x2: top floor(3/2) = 1, left floor(3/2) = 1
        var c = CenterCrop.Apply(img, 3, 3);
        Assert.That((c.Width, c.Height), Is.EqualTo((3, 3)));
        Assert.That(c[0, 0].R, Is.EqualTo(Id(1, 1, 6)));
        Assert.That(c[2, 2].R, Is.EqualTo(Id(3, 3, 6)));
    }

    [Test]
    public void CropLargerThanImagePadsWithZerosAtCeilOffsets()
    {
        // 3 wide x 2 high into 4x4: canvas 4x4, image at top ceil(2/2) = 1, left ceil(1/2) = 1.
        var c = CenterCrop.Apply(Indexed(3, 2), 4, 4);
        Assert.That((c.Width, c.Height), Is.EqualTo((4, 4)));
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
            {
                bool inside = y is >= 1 and <= 2 && x is >= 1 and <= 3;
                Assert.That(c[x, y].R, Is.EqualTo(inside ? Id(x - 1, y - 1, 3) : 0), $"({x},{y})");
            }
    }

    [Test]
    public void CropPadsOneAxisAndCropsTheOther()
    {
        // 5 wide x 2 high into height 4, width 3: rows padded (top pad 1), columns cropped from left 1.
        var c = CenterCrop.Apply(Indexed(5, 2), 4, 3);
        Assert.That((c.Width, c.Height), Is.EqualTo((3, 4)));
        Assert.That(c[0, 0].R, Is.EqualTo(0));
        Assert.That(c[0, 1].R, Is.EqualTo(Id(1, 0, 5)));
        Assert.That(c[2, 2].R, Is.EqualTo(Id(3, 1, 5)));
        Assert.That(c[1, 3].R, Is.EqualTo(0));
    }

    [Test]
    public void PaddingNormalisesToMinusMeanOverStd()
    {
        // Crop without resize on a small image: the padded border is 0 before rescale, as in transformers.
        var cfg = ImageProcessorConfig.ClipDefaults(4) with { DoResize = false };
        var p = ImageProcessor.Create(cfg).Process(new RgbImage(2, 2, Enumerable.Repeat((byte)255, 12).ToArray()));
        Assert.That((p.Height, p.Width), Is.EqualTo((4, 4)));
        float want = (0f - (float)0.48145466) / (float)0.26862954;
        Assert.That(p[0, 0, 0], Is.EqualTo(want));
        Assert.That(p[0, 1, 1], Is.EqualTo((1f - (float)0.48145466) / (float)0.26862954));
    }

    // Each pixel's R is a distinct id (1-based, so 0 means padding).
    private static byte Id(int x, int y, int w) => (byte)(1 + y * w + x);

    private static RgbImage Indexed(int w, int h)
    {
        var p = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) p[(y * w + x) * 3] = Id(x, y, w);
        return new RgbImage(w, h, p);
    }
}
