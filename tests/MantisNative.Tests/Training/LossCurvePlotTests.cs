using MantisNative.Training;
using NUnit.Framework;
using SkiaSharp;

namespace MantisNative.Tests.Training;

public class LossCurvePlotTests
{
    [Test]
    public void WritesAReadablePngWithTitleAndCurve()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mantis-curve-{Guid.NewGuid():N}.png");
        try
        {
            var pts = Enumerable.Range(1, 300).Select(s => (s, 6.5 * Math.Exp(-s / 20.0) + 0.05 + 0.01 * Math.Sin(s))).ToList();
            LossCurvePlot.Save(pts, path, "training loss (300 steps)");
            using var bmp = SKBitmap.Decode(path);
            Assert.That(bmp, Is.Not.Null);
            Assert.That((bmp.Width, bmp.Height), Is.EqualTo((900, 500)));
            int Dark(int x0, int y0, int x1, int y1)
            {
                int n = 0;
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++)
                        if (bmp.GetPixel(x, y).Red < 128) n++;
                return n;
            }
            Assert.That(Dark(80, 10, 400, 40), Is.GreaterThan(50), "the title is drawn (the bundled font loads)");
            int blue = 0;
            for (int y = 50; y < 440; y++)
                for (int x = 81; x < 870; x++)
                {
                    var c = bmp.GetPixel(x, y);
                    if (c.Blue > 150 && c.Red < 100) blue++;
                }
            Assert.That(blue, Is.GreaterThan(300), "the curve is drawn");
            File.Copy(path, Path.Combine(Path.GetTempPath(), "mantis-curve-last.png"), true);
        }
        finally { File.Delete(path); }
    }
}
