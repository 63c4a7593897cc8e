using MantisNative.Data.Images;
using NUnit.Framework;
using SkiaSharp;
using static MantisNative.Tests.Data.Images.TestImageFiles;

namespace MantisNative.Tests.Data.Images;

public class ImageDecoderTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "mantis-img-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    // Left half red, right half blue: orientation shows as where red ends up.
    private static byte[] Halves(int w, int h) => Rgba(w, h, (x, _) => x < w / 2 ? ((byte)220, (byte)20, (byte)20, (byte)255) : ((byte)20, (byte)20, (byte)220, (byte)255));

    [Test]
    public void PngAlphaIsDroppedNotPremultipliedNorComposited()
    {
        // Alpha 0 and 128 with colour: premultiplying would zero/halve RGB; compositing would blend to white/black.
        var rgba = Rgba(3, 1, (x, _) => x switch
        {
            0 => ((byte)200, (byte)100, (byte)50, (byte)0),
            1 => ((byte)10, (byte)20, (byte)30, (byte)128),
            _ => ((byte)255, (byte)255, (byte)255, (byte)255),
        });
        var img = ImageDecoder.DecodeFile(Write("a.png", Encode(3, 1, rgba, SKEncodedImageFormat.Png)));
        Assert.That((img.Width, img.Height), Is.EqualTo((3, 1)));
        Assert.That(img[0, 0], Is.EqualTo(((byte)200, (byte)100, (byte)50)));
        Assert.That(img[1, 0], Is.EqualTo(((byte)10, (byte)20, (byte)30)));
        Assert.That(img[2, 0], Is.EqualTo(((byte)255, (byte)255, (byte)255)));
    }

    [Test]
    public void GrayAndGrayAlphaPngReplicateTheGrayValue()
    {
        var gray = ImageDecoder.DecodeFile(Write("g.png", Png(2, 1, 8, 0, [[7, 250]])));
        Assert.That(gray[0, 0], Is.EqualTo(((byte)7, (byte)7, (byte)7)));
        Assert.That(gray[1, 0], Is.EqualTo(((byte)250, (byte)250, (byte)250)));
        var ga = ImageDecoder.DecodeFile(Write("ga.png", Png(2, 1, 8, 4, [[90, 0, 33, 77]])));
        Assert.That(ga[0, 0], Is.EqualTo(((byte)90, (byte)90, (byte)90)), "gray+alpha: alpha 0 must not change the gray");
        Assert.That(ga[1, 0], Is.EqualTo(((byte)33, (byte)33, (byte)33)));
    }

    [Test]
    public void PngGammaChunkDoesNotChangePixels()
    {
        // gAMA 1.0 (linear): a colour-managed decode to sRGB would brighten 64 to ~137. PIL ignores it; so must we.
        var img = ImageDecoder.DecodeFile(Write("gamma.png", Png(1, 1, 8, 2, [[64, 128, 192]], extra: [("gAMA", [0, 1, 0x86, 0xA0])])));
        Assert.That(img[0, 0], Is.EqualTo(((byte)64, (byte)128, (byte)192)));
    }

    [Test]
    public void PalettePngIsExpandedAndItsTransparencyIgnored()
    {
        byte[] plte = [255, 0, 0, 0, 255, 0, 0, 0, 255];
        byte[] trns = [0, 255, 64];   // index 0 fully transparent: PIL's convert("RGB") still gives its palette colour
        var img = ImageDecoder.DecodeFile(Write("p.png", Png(3, 1, 8, 3, [[0, 1, 2]], plte, trns)));
        Assert.That(img[0, 0], Is.EqualTo(((byte)255, (byte)0, (byte)0)));
        Assert.That(img[1, 0], Is.EqualTo(((byte)0, (byte)255, (byte)0)));
        Assert.That(img[2, 0], Is.EqualTo(((byte)0, (byte)0, (byte)255)));
    }

    [Test]
    public void SixteenBitPngIsReducedToEightBits()
    {
        // PIL keeps the high byte of 16-bit RGB (0x12FF -> 0x12); Skia scales to 8 bits. Record what we get.
        var img = ImageDecoder.DecodeFile(Write("16.png", Png(1, 1, 16, 2, [[0x12, 0xFF, 0x80, 0x00, 0xFF, 0xFF]])));
        var (r, g, b) = img[0, 0];
        TestContext.Out.WriteLine($"16-bit RGB (0x12FF, 0x8000, 0xFFFF) decoded as ({r}, {g}, {b}); PIL gives (18, 128, 255)");
        Assert.That(r, Is.EqualTo(18), "high byte, as PIL");
        Assert.That(g, Is.EqualTo(128));
        Assert.That(b, Is.EqualTo(255));
    }

    [Test]
    public void JpegDecodesCloseToTheEncodedColours()
    {
        var img = ImageDecoder.DecodeFile(Write("h.jpg", Encode(32, 16, Halves(32, 16), SKEncodedImageFormat.Jpeg, 95)));
        Assert.That((img.Width, img.Height), Is.EqualTo((32, 16)));
        AssertNear(img[2, 8], (220, 20, 20), 6);
        AssertNear(img[29, 8], (20, 20, 220), 6);
    }

    [Test]
    public void LosslessWebpRoundTripsExactly()
    {
        var rgba = Rgba(5, 4, (x, y) => ((byte)(x * 50), (byte)(y * 60), (byte)(x * y * 10), (byte)255));
        var img = ImageDecoder.DecodeFile(Write("x.webp", Encode(5, 4, rgba, SKEncodedImageFormat.Webp)));
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 5; x++)
                Assert.That(img[x, y], Is.EqualTo(((byte)(x * 50), (byte)(y * 60), (byte)(x * y * 10))), $"pixel ({x},{y})");
    }

    [Test]
    public void GifGivesTheFirstFrame()
    {
        byte[][] palette = [[10, 20, 30], [200, 0, 0], [0, 200, 0], [0, 0, 200]];
        var gif = Gif(2, 2, palette, [0, 1, 2, 3], [3, 3, 3, 3]);
        var img = ImageDecoder.DecodeFile(Write("a.gif", gif));
        Assert.That((img.Width, img.Height), Is.EqualTo((2, 2)));
        Assert.That(img[0, 0], Is.EqualTo(((byte)10, (byte)20, (byte)30)));
        Assert.That(img[1, 0], Is.EqualTo(((byte)200, (byte)0, (byte)0)));
        Assert.That(img[0, 1], Is.EqualTo(((byte)0, (byte)200, (byte)0)));
        Assert.That(img[1, 1], Is.EqualTo(((byte)0, (byte)0, (byte)200)));
    }

    [Test]
    public void SixteenBitGrayPngKeepsTheHighByte()
    {
        // PIL opens this as mode "I" and convert("RGB") clips (0x1234 -> 255); we keep the high byte, like 16-bit RGB.
        var img = ImageDecoder.DecodeFile(Write("g16.png", Png(1, 1, 16, 0, [[0x12, 0x34]])));
        TestContext.Out.WriteLine($"16-bit gray 0x1234 decoded as {img[0, 0]}; PIL 9.4 gives (255, 255, 255)");
        Assert.That(img[0, 0], Is.EqualTo(((byte)0x12, (byte)0x12, (byte)0x12)));
    }

    [Test]
    public void GifTransparentPixelsShowTheirPaletteColourAsPilDoes()
    {
        // Skia leaves the transparent index as alpha 0; PIL's P -> RGB shows the palette entry (10, 20, 30).
        byte[][] palette = [[10, 20, 30], [200, 0, 0], [0, 200, 0], [0, 0, 200]];
        var img = ImageDecoder.DecodeFile(Write("t.gif", Gif(2, 2, palette, 0, [0, 1, 2, 3])));
        Assert.That(img[0, 0], Is.EqualTo(((byte)10, (byte)20, (byte)30)));
        Assert.That(img[1, 0], Is.EqualTo(((byte)200, (byte)0, (byte)0)));
    }

    [TestCase(6, true)]   // rotate 90 clockwise: the stored left (red) edge becomes the top
    [TestCase(8, false)]  // rotate 90 counter-clockwise: red ends up at the bottom
    public void JpegExifOrientationIsApplied(int orientation, bool redOnTop)
    {
        var jpeg = WithExifOrientation(Encode(32, 16, Halves(32, 16), SKEncodedImageFormat.Jpeg, 95), orientation);
        string path = Write("exif.jpg", jpeg);

        var img = ImageDecoder.DecodeFile(path);
        Assert.That((img.Width, img.Height), Is.EqualTo((16, 32)), "axes swapped by the orientation");
        var top = img[8, 2];
        var bottom = img[8, 29];
        AssertNear(redOnTop ? top : bottom, (220, 20, 20), 6);
        AssertNear(redOnTop ? bottom : top, (20, 20, 220), 6);

        // As PIL's Image.open().convert("RGB") (the reference) would see it: stored orientation.
        var raw = ImageDecoder.DecodeFile(path, new ImageDecodeOptions { ApplyExifOrientation = false });
        Assert.That((raw.Width, raw.Height), Is.EqualTo((32, 16)));
        AssertNear(raw[2, 8], (220, 20, 20), 6);
    }

    [Test]
    public void MissingFileErrorNamesTheFile()
    {
        string p = Path.Combine(_dir, "nope.png");
        var e = Assert.Throws<MantisException>(() => ImageDecoder.DecodeFile(p));
        Assert.That(e!.Message, Does.Contain(p).And.Contain("not found"));
        var e2 = Assert.Throws<MantisException>(() => ImageDecoder.DecodeFile(Path.Combine(_dir, "no-dir", "x.png")));
        Assert.That(e2!.Message, Does.Contain("no-dir"));
        var e3 = Assert.Throws<MantisException>(() => ImageDecoder.DecodeFile(_dir));
        Assert.That(e3!.Message, Does.Contain(_dir).And.Contain("directory"));
    }

    [Test]
    public void GarbageAndEmptyFilesErrorNamingTheFile()
    {
        string junk = Write("junk.png", "this is not an image at all"u8.ToArray());
        var e = Assert.Throws<MantisException>(() => ImageDecoder.DecodeFile(junk));
        Assert.That(e!.Message, Does.Contain(junk).And.Contain("not a readable image"));

        string empty = Write("empty.jpg", []);
        var e2 = Assert.Throws<MantisException>(() => ImageDecoder.DecodeFile(empty));
        Assert.That(e2!.Message, Does.Contain(empty).And.Contain("empty"));
    }

    [TestCase(SKEncodedImageFormat.Png, "t.png")]
    [TestCase(SKEncodedImageFormat.Jpeg, "t.jpg")]
    public void TruncatedFileErrorNamesTheFileAndWhy(SKEncodedImageFormat format, string name)
    {
        var rgba = Rgba(64, 64, (x, y) => ((byte)(x * 4), (byte)(y * 4), (byte)((x * 7 + y * 13) & 255), (byte)255));
        var full = Encode(64, 64, rgba, format, 90);
        string p = Write(name, full.AsSpan(0, full.Length / 2).ToArray());
        var e = Assert.Throws<MantisException>(() => ImageDecoder.DecodeFile(p));
        TestContext.Out.WriteLine(e!.Message);
        Assert.That(e.Message, Does.Contain(p).And.Contain("truncated").Or.Contain("corrupt"));
    }

    [Test]
    public void CorruptPngDataErrors()
    {
        var full = Png(4, 4, 8, 2, Enumerable.Range(0, 4).Select(_ => new byte[12]).ToArray());
        // Flip bytes inside the IDAT payload (after the 8-byte signature + 25-byte IHDR + IDAT length/type).
        var bad = (byte[])full.Clone();
        for (int i = 41; i < bad.Length - 16; i++) bad[i] ^= 0x5A;
        string p = Write("bad.png", bad);
        var e = Assert.Throws<MantisException>(() => ImageDecoder.DecodeFile(p));
        TestContext.Out.WriteLine(e!.Message);
        Assert.That(e.Message, Does.Contain(p));
    }

    [Test]
    public void DecodeFromMemoryNamesTheSource()
    {
        var e = Assert.Throws<MantisException>(() => ImageDecoder.Decode([1, 2, 3], "record 7, images[1]"));
        Assert.That(e!.Message, Does.Contain("record 7, images[1]"));
    }

    [Test]
    public void ExifTransformsMatchTheirDefinitions()
    {
        // 3x2 stored image a b c / d e f; expected displayed layouts per EXIF orientation 1..8.
        var src = new RgbImage(3, 2, Enumerable.Range(0, 6).SelectMany(i => new[] { (byte)('a' + i), (byte)0, (byte)0 }).ToArray());
        string[] expected = ["abc/def", "cba/fed", "fed/cba", "def/abc", "ad/be/cf", "da/eb/fc", "fc/eb/da", "cf/be/ad"];
        for (int o = 1; o <= 8; o++)
        {
            var r = ExifOrientation.Apply(src, (SKEncodedOrigin)o);
            string layout = string.Join("/", Enumerable.Range(0, r.Height).Select(y =>
                new string(Enumerable.Range(0, r.Width).Select(x => (char)r[x, y].R).ToArray())));
            Assert.That(layout, Is.EqualTo(expected[o - 1]), $"orientation {o}");
        }
    }

    private static void AssertNear((byte R, byte G, byte B) got, (int R, int G, int B) want, int tol)
    {
        Assert.That(Math.Abs(got.R - want.R), Is.LessThanOrEqualTo(tol), $"R {got} vs {want}");
        Assert.That(Math.Abs(got.G - want.G), Is.LessThanOrEqualTo(tol), $"G {got} vs {want}");
        Assert.That(Math.Abs(got.B - want.B), Is.LessThanOrEqualTo(tol), $"B {got} vs {want}");
    }
}
