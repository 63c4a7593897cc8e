using BenchmarkDotNet.Attributes;
using MantisNative.Backends.Cpu;
using MantisNative.Data.Images;
using SkiaSharp;

namespace MantisNative.Bench;

/// <summary>
/// Image path on one thread: decode a 640x480 JPEG, PIL-exact bicubic resize to 384x384, and the whole
/// decode + SigLIP-384 preprocessing (images/s = 1000 / mean ms of DecodeAndSiglip384).
/// </summary>
[MemoryDiagnoser]
public class ImageBench
{
    private byte[] _jpeg = [];
    private RgbImage _decoded = null!;
    private ImageProcessor _siglip = null!;
    private int _savedThreads;

    [GlobalSetup]
    public void Setup()
    {
        _savedThreads = CpuParallel.Threads;
        CpuParallel.Threads = 1;
        _jpeg = PhotoJpeg(640, 480);
        _decoded = ImageDecoder.Decode(_jpeg, "bench.jpg");
        _siglip = ImageProcessor.ForVisionConfig(ImageProcessorKind.Siglip, 384);
    }

    [GlobalCleanup]
    public void Cleanup() => CpuParallel.Threads = _savedThreads;

    [Benchmark]
    public RgbImage Decode() => ImageDecoder.Decode(_jpeg, "bench.jpg");

    [Benchmark]
    public RgbImage Resize384() => PilResize.Resize(_decoded, 384, 384);

    [Benchmark(Baseline = true)]
    public ProcessedImage DecodeAndSiglip384() => _siglip.Process(ImageDecoder.Decode(_jpeg, "bench.jpg"));

    // Gradients plus noise at quality 90: about the entropy of a photo.
    private static byte[] PhotoJpeg(int w, int h)
    {
        var rng = new Random(1);
        var bmp = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                bmp.SetPixel(x, y, new SKColor(
                    (byte)Math.Clamp(128 + 100 * Math.Sin(x * 0.02) + rng.Next(-15, 16), 0, 255),
                    (byte)Math.Clamp(128 + 100 * Math.Cos(y * 0.03) + rng.Next(-15, 16), 0, 255),
                    (byte)Math.Clamp((x + y) / 5 + rng.Next(-15, 16), 0, 255)));
        using var data = bmp.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }
}
