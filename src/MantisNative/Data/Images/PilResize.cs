using System.Runtime.Intrinsics;
using MantisNative.Backends.Cpu;

namespace MantisNative.Data.Images;

/// <summary>
/// Pillow's <c>Image.resize</c> for 8-bit RGB (ImagingResample in libImaging/Resample.c), bit for bit:
/// separable convolution with fixed-point weights, horizontal pass first (only over the rows the vertical
/// pass will read), rounding and clipping to uint8 after each pass, and a pass skipped when its axis keeps
/// its size. Transformers resizes through PIL, so this is what makes our pixels equal the reference's.
/// </summary>
public static class PilResize
{
    private const int Shift = ResampleCoefficients.PrecisionBits;
    private const int Half = 1 << (Shift - 1);

    /// <summary>Resizes to width x height with the given PIL filter. Rows are spread over <see cref="CpuParallel"/>.</summary>
    public static RgbImage Resize(RgbImage src, int width, int height, PilResample filter = PilResample.Bicubic)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"target size {width}x{height} must be positive");
        if (!Enum.IsDefined(filter))
            throw new MantisException($"resample {(int)filter} is not a PIL resampling filter (expected 0..5)");

        // PIL returns a copy when nothing changes; both passes would be skipped anyway.
        if (width == src.Width && height == src.Height) return new RgbImage(width, height, (byte[])src.Pixels.Clone());
        if (filter == PilResample.Nearest) return Nearest(src, width, height);

        bool needHorizontal = width != src.Width;
        bool needVertical = height != src.Height;
        var vert = ResampleCoefficients.Get(src.Height, height, filter);

        RgbImage current = src;
        int rowOffset = 0;   // index of current's row 0 in the source image
        if (needHorizontal)
        {
            // Only rows [first, last) feed the vertical pass; PIL resamples just those.
            int first = vert.Start[0];
            int last = vert.Start[height - 1] + vert.Counts[height - 1];
            if (!needVertical) { first = 0; last = src.Height; }
            var horiz = ResampleCoefficients.Get(src.Width, width, filter);
            current = Horizontal(src, horiz, first, last - first);
            rowOffset = first;
        }
        if (needVertical) current = Vertical(current, vert, rowOffset);
        return current;
    }

    private static unsafe RgbImage Horizontal(RgbImage src, ResampleCoefficients c, int firstRow, int rows)
    {
        int outW = c.OutSize, inW = src.Width;
        var dst = new RgbImage(outW, rows);
        byte[] s = src.Pixels, d = dst.Pixels;
        int[] start = c.Start, counts = c.Counts, weights = c.Weights;
        int ksize = c.KSize;

        CpuParallel.ForRange(rows, 16, (r0, r1) =>
        {
            // Pointers: the tap loop is the hot spot and bounds checks would double its cost.
            fixed (byte* sp = s, dp = d)
            fixed (int* wp = weights)
            {
                for (int r = r0; r < r1; r++)
                {
                    byte* srcRow = sp + (long)(firstRow + r) * inW * 3;
                    byte* o = dp + (long)r * outW * 3;
                    for (int xx = 0; xx < outW; xx++, o += 3)
                    {
                        int ss0 = Half, ss1 = Half, ss2 = Half;
                        byte* q = srcRow + start[xx] * 3;
                        int* k = wp + xx * ksize;
                        int n = counts[xx];
                        for (int x = 0; x < n; x++, q += 3)
                        {
                            int kx = k[x];
                            ss0 += q[0] * kx;
                            ss1 += q[1] * kx;
                            ss2 += q[2] * kx;
                        }
                        o[0] = Clip8(ss0);
                        o[1] = Clip8(ss1);
                        o[2] = Clip8(ss2);
                    }
                }
            }
        });
        return dst;
    }

    private static unsafe RgbImage Vertical(RgbImage src, ResampleCoefficients c, int rowOffset)
    {
        int outH = c.OutSize, w = src.Width, stride = w * 3;
        var dst = new RgbImage(w, outH);
        byte[] s = src.Pixels, d = dst.Pixels;
        int[] start = c.Start, counts = c.Counts, weights = c.Weights;
        int ksize = c.KSize;

        CpuParallel.ForRange(outH, 16, (y0, y1) =>
        {
            // One accumulator row per output row: walking taps in the outer loop reads source rows contiguously,
            // and the multiply-add over a row vectorises (integer sums, so the order does not change the result).
            var acc = new int[stride];
            fixed (byte* sp = s, dp = d)
            fixed (int* ap = acc)
            {
                for (int yy = y0; yy < y1; yy++)
                {
                    new Span<int>(ap, stride).Fill(Half);
                    int kb = yy * ksize, n = counts[yy];
                    byte* rowBase = sp + (long)(start[yy] - rowOffset) * stride;
                    for (int y = 0; y < n; y++)
                        RowMultiplyAdd(ap, rowBase + (long)y * stride, weights[kb + y], stride);
                    byte* o = dp + (long)yy * stride;
                    for (int i = 0; i < stride; i++) o[i] = Clip8(ap[i]);
                }
            }
        });
        return dst;
    }

    /// <summary>
    /// PIL's NEAREST resize, which is not a convolution: an affine scale (ImagingScaleAffine) that samples at
    /// pixel centres, stepping the source coordinate by repeated addition in double, truncated to an index.
    /// </summary>
    private static RgbImage Nearest(RgbImage src, int width, int height)
    {
        double ax = (double)((float)src.Width - 0f) / width, ay = (double)((float)src.Height - 0f) / height;
        var xin = new int[width];
        double xo = 0 + ax * 0.5;
        // PIL leaves a sample that lands past the edge black; with centre sampling it cannot (the last
        // coordinate is size - step / 2), so the clamp only guards against the impossible.
        for (int x = 0; x < width; x++, xo += ax) xin[x] = Math.Min((int)xo, src.Width - 1);
        var dst = new RgbImage(width, height);
        byte[] s = src.Pixels, d = dst.Pixels;
        double yo = 0 + ay * 0.5;
        for (int y = 0; y < height; y++, yo += ay)
        {
            int row = Math.Min((int)yo, src.Height - 1) * src.Width;
            for (int x = 0; x < width; x++)
            {
                int si = (row + xin[x]) * 3, di = (y * width + x) * 3;
                d[di] = s[si];
                d[di + 1] = s[si + 1];
                d[di + 2] = s[si + 2];
            }
        }
        return dst;
    }

    // acc[i] += src[i] * k for i in [0, n): 16 bytes at a time widened to four vectors of 4 ints.
    private static unsafe void RowMultiplyAdd(int* acc, byte* src, int k, int n)
    {
        int i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var kv = Vector128.Create(k);
            for (; i <= n - 16; i += 16)
            {
                var b = Vector128.Load(src + i);
                var (lo, hi) = Vector128.Widen(b);
                var (a0, a1) = Vector128.Widen(lo);
                var (a2, a3) = Vector128.Widen(hi);
                Vector128.Store(Vector128.Load(acc + i) + a0.AsInt32() * kv, acc + i);
                Vector128.Store(Vector128.Load(acc + i + 4) + a1.AsInt32() * kv, acc + i + 4);
                Vector128.Store(Vector128.Load(acc + i + 8) + a2.AsInt32() * kv, acc + i + 8);
                Vector128.Store(Vector128.Load(acc + i + 12) + a3.AsInt32() * kv, acc + i + 12);
            }
        }
        for (; i < n; i++) acc[i] += src[i] * k;
    }

    // Pillow's clip8: arithmetic shift out the fraction, then clamp to [0, 255] (its lookup table covers -640..639).
    private static byte Clip8(int ss)
    {
        int v = ss >> Shift;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}
