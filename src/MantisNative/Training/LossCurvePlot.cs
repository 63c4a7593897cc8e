using System.Globalization;
using SkiaSharp;

namespace MantisNative.Training;

/// <summary>
/// Draws the training loss against the step as a PNG (SkiaSharp). Uses the bundled DejaVu Sans, since the
/// dependency-free Skia build finds no system font and would silently draw no text.
/// </summary>
public static class LossCurvePlot
{
    internal static SKTypeface LoadFont()
    {
        using var s = typeof(LossCurvePlot).Assembly.GetManifestResourceStream("MantisNative.DejaVuSans.ttf");
        return s is null ? SKTypeface.Default : SKTypeface.FromStream(s) ?? SKTypeface.Default;
    }

    public static void Save(IReadOnlyList<(int Step, double Loss)> points, string path, string title)
    {
        const int W = 900, H = 500, L = 80, R = 30, T = 50, B = 60;
        var pts = points.Where(p => double.IsFinite(p.Loss)).ToList();
        using var surface = SKSurface.Create(new SKImageInfo(W, H));
        var c = surface.Canvas;
        c.Clear(SKColors.White);
        using var typeface = LoadFont();
        using var font = new SKFont(typeface, 14);
        using var titleFont = new SKFont(typeface, 18);
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var axis = new SKPaint { Color = SKColors.Gray, StrokeWidth = 1, IsAntialias = true };
        using var grid = new SKPaint { Color = new SKColor(230, 230, 230), StrokeWidth = 1 };
        using var line = new SKPaint { Color = new SKColor(31, 119, 180), StrokeWidth = 2, IsAntialias = true, Style = SKPaintStyle.Stroke };
        c.DrawText(title, L, 24, titleFont, text);
        if (pts.Count >= 1)
        {
            double x0 = pts.Min(p => p.Step), x1 = Math.Max(x0 + 1, pts.Max(p => p.Step));
            double lo = pts.Min(p => p.Loss), hi = pts.Max(p => p.Loss);
            // a loss that falls by more than 20x reads better on a log axis (the tail is otherwise a flat line)
            bool log = lo > 0 && hi / lo > 20;
            Func<double, double> f = log ? Math.Log10 : v => v;
            double y0 = log ? f(lo) : Math.Min(0, lo), y1 = f(hi);
            if (y1 <= y0) y1 = y0 + 1;
            float X(double s) => (float)(L + (s - x0) / (x1 - x0) * (W - L - R));
            float Y(double v) => (float)(H - B - (f(v) - y0) / (y1 - y0) * (H - T - B));
            for (int i = 0; i <= 5; i++)
            {
                double fv = y0 + (y1 - y0) * i / 5, s = x0 + (x1 - x0) * i / 5;
                double v = log ? Math.Pow(10, fv) : fv;
                c.DrawLine(L, Y(v), W - R, Y(v), grid);
                c.DrawText(v.ToString("G3", CultureInfo.InvariantCulture), 10, Y(v) + 5, font, text);
                c.DrawText(((int)s).ToString(CultureInfo.InvariantCulture), X(s) - 10, H - B + 20, font, text);
            }
            using var path2 = new SKPath();
            path2.MoveTo(X(pts[0].Step), Y(pts[0].Loss));
            foreach (var p in pts.Skip(1)) path2.LineTo(X(p.Step), Y(p.Loss));
            c.DrawPath(path2, line);
        }
        c.DrawLine(L, H - B, W - R, H - B, axis);
        c.DrawLine(L, T, L, H - B, axis);
        c.DrawText("step", W / 2f, H - 15, font, text);
        c.DrawText(pts.Count > 0 && pts.Min(p => p.Loss) > 0 && pts.Max(p => p.Loss) / pts.Min(p => p.Loss) > 20 ? "loss (log scale)" : "loss", 10, T - 4, font, text);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        string tmp = path + ".tmp";
        using (var fs = File.Create(tmp)) data.SaveTo(fs);
        File.Move(tmp, path, overwrite: true);
    }
}
