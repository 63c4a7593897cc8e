using System.Globalization;
using SkiaSharp;

namespace MantisNative.Evaluation.Benchmarks;

/// <summary>
/// A PNG bar chart of a benchmark run: our overall score beside the paper's Mantis-SigLIP, Idefics2-8B and random
/// scores, then our accuracy per category (SkiaSharp, the bundled DejaVu Sans as in the loss curve).
/// </summary>
public static class BenchmarkChart
{
    public static void Save(BenchmarkResult r, string path)
    {
        var bars = new List<(string Label, double Percent, SKColor Color)>
        {
            ("ours", 100 * r.Overall, new SKColor(31, 119, 180)),
            ("Mantis-SigLIP (paper)", r.Benchmark.Paper.MantisSiglip, new SKColor(255, 127, 14)),
            ("Idefics2-8B (paper)", r.Benchmark.Paper.Idefics2, new SKColor(44, 160, 44)),
            ("random (paper)", r.Benchmark.Paper.Random, new SKColor(150, 150, 150)),
        };
        if (r.Categories.Count > 1)
            bars.AddRange(r.Categories.Select(c => ($"ours: {c.Name} (n={c.Count})", 100 * c.Accuracy, new SKColor(158, 202, 225))));

        const int W = 960, L = 310, R = 70, T = 50, Bar = 22, Gap = 8, B = 40;
        int h = T + B + bars.Count * (Bar + Gap);
        using var surface = SKSurface.Create(new SKImageInfo(W, h));
        var c = surface.Canvas;
        c.Clear(SKColors.White);
        using var typeface = Training.LossCurvePlot.LoadFont();
        using var font = new SKFont(typeface, 13);
        using var titleFont = new SKFont(typeface, 17);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(225, 225, 225), StrokeWidth = 1 };
        c.DrawText($"{r.Benchmark.Title}: accuracy (%), {r.Count} items", 10, 26, titleFont, text);
        float X(double pct) => (float)(L + Math.Clamp(pct, 0, 100) / 100 * (W - L - R));
        for (int g = 0; g <= 100; g += 20)
        {
            c.DrawLine(X(g), T - 6, X(g), h - B + 4, grid);
            c.DrawText(g.ToString(CultureInfo.InvariantCulture), X(g) - 8, h - B + 20, font, text);
        }
        for (int i = 0; i < bars.Count; i++)
        {
            float y = T + i * (Bar + Gap);
            using var fill = new SKPaint { Color = bars[i].Color, IsAntialias = true };
            c.DrawRect(new SKRect(L, y, X(bars[i].Percent), y + Bar), fill);
            var label = bars[i].Label.Length > 38 ? bars[i].Label[..37] + "…" : bars[i].Label;
            c.DrawText(label, 10, y + Bar - 6, font, text);
            c.DrawText(bars[i].Percent.ToString("F1", CultureInfo.InvariantCulture), X(bars[i].Percent) + 4, y + Bar - 6, font, text);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        var tmp = path + ".tmp";
        using (var fs = File.Create(tmp)) data.SaveTo(fs);
        File.Move(tmp, path, overwrite: true);
    }
}
