using System.Diagnostics;
using MantisNative.Backends.Cpu;
using MantisNative.Data.Images;
using NUnit.Framework;
using SkiaSharp;

namespace MantisNative.Tests.Data.Images;

/// <summary>Quick throughput check (run explicitly): 640x480 JPEG -> SigLIP 384, single thread.</summary>
public class ImageSpeedTests
{
    [Test, Explicit("timing, not a correctness check")]
    public void DecodeAndSiglip384ImagesPerSecond()
    {
        byte[] jpeg = PhotoJpeg(640, 480);
        var processor = ImageProcessor.ForVisionConfig(ImageProcessorKind.Siglip, 384);
        int saved = CpuParallel.Threads;
        CpuParallel.Threads = 1;
        try
        {
            for (int i = 0; i < 20; i++) processor.Process(ImageDecoder.Decode(jpeg, "bench.jpg"));   // warm up JIT and caches
            double decode = Time(() => ImageDecoder.Decode(jpeg, "bench.jpg"));
            var img = ImageDecoder.Decode(jpeg, "bench.jpg");
            double resize = Time(() => PilResize.Resize(img, 384, 384));
            var resized = PilResize.Resize(img, 384, 384);
            double normalize = Time(() => processor.Process(resized));   // same size: copy + normalize
            double total = Time(() => processor.Process(ImageDecoder.Decode(jpeg, "bench.jpg")));
            TestContext.Out.WriteLine($"640x480 JPEG ({jpeg.Length} bytes) -> SigLIP 384, 1 thread:");
            TestContext.Out.WriteLine($"  decode {decode:F2} ms, resize {resize:F2} ms, (copy+)normalize {normalize:F2} ms");
            TestContext.Out.WriteLine($"  decode + preprocess {total:F2} ms = {1000 / total:F0} images/s (wall clock)");
            // On a shared machine wall time includes waiting for a core; process CPU time per image does not.
            double cpu = CpuMs(() => processor.Process(ImageDecoder.Decode(jpeg, "bench.jpg")), 200);
            TestContext.Out.WriteLine($"  CPU time: decode {CpuMs(() => ImageDecoder.Decode(jpeg, "bench.jpg"), 200):F2} ms, resize {CpuMs(() => PilResize.Resize(img, 384, 384), 200):F2} ms, resize width only {CpuMs(() => PilResize.Resize(img, 384, 480), 200):F2} ms, height only {CpuMs(() => PilResize.Resize(img, 640, 384), 200):F2} ms");
            TestContext.Out.WriteLine($"  decode + preprocess CPU time {cpu:F2} ms = {1000 / cpu:F0} images/s per core");
        }
        finally
        {
            CpuParallel.Threads = saved;
        }
    }

    private static double CpuMs(Action a, int n)
    {
        var p = Process.GetCurrentProcess();
        p.Refresh();
        var t0 = p.TotalProcessorTime;
        for (int i = 0; i < n; i++) a();
        p.Refresh();
        return (p.TotalProcessorTime - t0).TotalMilliseconds / n;
    }

    private static double Time(Action a)
    {
        var best = double.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            var sw = Stopwatch.StartNew();
            const int n = 40;
            for (int i = 0; i < n; i++) a();
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds / n);
        }
        return best;
    }

    /// <summary>Gradients plus noise, JPEG quality 90: a realistic amount of entropy to decode.</summary>
    internal static byte[] PhotoJpeg(int w, int h)
    {
        var rng = new Random(1);
        var rgba = TestImageFiles.Rgba(w, h, (x, y) => (
            (byte)Math.Clamp(128 + 100 * Math.Sin(x * 0.02) + rng.Next(-15, 16), 0, 255),
            (byte)Math.Clamp(128 + 100 * Math.Cos(y * 0.03) + rng.Next(-15, 16), 0, 255),
            (byte)Math.Clamp((x + y) / 5 + rng.Next(-15, 16), 0, 255),
            (byte)255));
        return TestImageFiles.Encode(w, h, rgba, SKEncodedImageFormat.Jpeg, 90);
    }
}
