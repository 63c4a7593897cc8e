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

    /// <summary>Resizes to width x height with the given PIL filter (not Nearest). Rows are spread over <see cref="CpuParallel"/>.</summary>
    public static RgbImage Resize(RgbImage src, int width, int height, PilResample filter = PilResample.Bicubic)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"target size {width}x{height} must be positive");
        if (filter == PilResample.Nearest)
            throw new MantisException("resample 0 (NEAREST) is not supported by the image processors; use 1 (LANCZOS), 2 (BILINEAR), 3 (BICUBIC), 4 (BOX) or 5 (HAMMING)");
        if (!Enum.IsDefined(filter))
            throw new MantisException($"resample {(int)filter} is not a PIL resampling filter (expected 1..5)");

        // PIL returns a copy when nothing changes; both passes would be skipped anyway.
        if (width == src.Width && height == src.Height) return new RgbImage(width, height, (byte[])src.Pixels.Clone());

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

    private static RgbImage Horizontal(RgbImage src, ResampleCoefficients c, int firstRow, int rows)
    {
        int outW = c.OutSize, inW = src.Width;
        var dst = new RgbImage(outW, rows);
        byte[] s = src.Pixels, d = dst.Pixels;
        int[] start = c.Start, counts = c.Counts, weights = c.Weights;
        int ksize = c.KSize;

        CpuParallel.ForRange(rows, 16, (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                int srcRow = (firstRow + r) * inW * 3;
                int dstRow = r * outW * 3;
                for (int xx = 0; xx < outW; xx++)
                {
                    int ss0 = Half, ss1 = Half, ss2 = Half;
                    int p = srcRow + start[xx] * 3;
                    int kb = xx * ksize, n = counts[xx];
                    for (int x = 0; x < n; x++, p += 3)
                    {
                        int k = weights[kb + x];
                        ss0 += s[p] * k;
                        ss1 += s[p + 1] * k;
                        ss2 += s[p + 2] * k;
                    }
                    int o = dstRow + xx * 3;
                    d[o] = Clip8(ss0);
                    d[o + 1] = Clip8(ss1);
                    d[o + 2] = Clip8(ss2);
                }
            }
        });
        return dst;
    }

    private static RgbImage Vertical(RgbImage src, ResampleCoefficients c, int rowOffset)
    {
        int outH = c.OutSize, w = src.Width, stride = w * 3;
        var dst = new RgbImage(w, outH);
        byte[] s = src.Pixels, d = dst.Pixels;
        int[] start = c.Start, counts = c.Counts, weights = c.Weights;
        int ksize = c.KSize;

        CpuParallel.ForRange(outH, 16, (y0, y1) =>
        {
            // One accumulator row per output row: walking taps in the outer loop reads the source row-contiguously.
            var acc = new int[stride];
            for (int yy = y0; yy < y1; yy++)
            {
                Array.Fill(acc, Half);
                int kb = yy * ksize, n = counts[yy];
                int rowBase = (start[yy] - rowOffset) * stride;
                for (int y = 0; y < n; y++)
                {
                    int k = weights[kb + y];
                    int p = rowBase + y * stride;
                    for (int i = 0; i < stride; i++) acc[i] += s[p + i] * k;
                }
                int o = yy * stride;
                for (int i = 0; i < stride; i++) d[o + i] = Clip8(acc[i]);
            }
        });
        return dst;
    }

    // Pillow's clip8: arithmetic shift out the fraction, then clamp to [0, 255] (its lookup table covers -640..639).
    private static byte Clip8(int ss)
    {
        int v = ss >> Shift;
        return (byte)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}
