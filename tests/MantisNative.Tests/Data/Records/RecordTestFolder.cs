using SkiaSharp;

namespace MantisNative.Tests.Data.Records;

/// <summary>A temporary folder with small real images and record files for one test; deleted on dispose.</summary>
public sealed class RecordTestFolder : IDisposable
{
    public string Root { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "mantis-records-" + Guid.NewGuid().ToString("N"));

    public RecordTestFolder()
    {
        Directory.CreateDirectory(Root);
        File.WriteAllBytes(Path(("a.png")), Png(16, 12, SKColors.Red));
        File.WriteAllBytes(Path("b.png"), Png(20, 20, SKColors.Blue));
        File.WriteAllBytes(Path("c.jpg"), Jpeg(24, 16));
    }

    public string Path(string rel) => System.IO.Path.Combine(Root, rel);

    public string Write(string rel, string text)
    {
        var p = Path(rel);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        File.WriteAllText(p, text);
        return p;
    }

    public static byte[] Png(int w, int h, SKColor c)
    {
        using var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        // a little structure so the encoded file is not trivially small (truncation tests need real data)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                bmp.SetPixel(x, y, new SKColor((byte)(c.Red ^ (x * 13)), (byte)(c.Green ^ (y * 7)), (byte)(c.Blue ^ (x * y))));
        using var data = bmp.PeekPixels().Encode(SKEncodedImageFormat.Png, 100)!;
        return data.ToArray();
    }

    public static byte[] Jpeg(int w, int h)
    {
        using var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bmp.Erase(SKColors.Green);
        using var data = bmp.PeekPixels().Encode(SKEncodedImageFormat.Jpeg, 90)!;
        return data.ToArray();
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
