namespace MantisNative.Data.Images;

/// <summary>
/// transformers' rescale then normalize, from 8-bit HWC to float32 CHW, with its exact numerics:
/// rescale is <c>(image.astype(float64) * factor).astype(float32)</c>, normalize is <c>(x - mean) / std</c>
/// with x, mean and std all float32. Each output depends only on (channel, byte value), so a 3 x 256 table
/// computed that way gives identical floats for a fraction of the work.
/// </summary>
internal sealed class PixelNormalizer
{
    private readonly float[] _table = new float[3 * 256];

    public PixelNormalizer(bool doRescale, double rescaleFactor, bool doNormalize, double[] mean, double[] std)
    {
        for (int c = 0; c < 3; c++)
        {
            float m = (float)mean[c], s = (float)std[c];
            for (int v = 0; v < 256; v++)
            {
                float x = doRescale ? (float)(v * rescaleFactor) : v;
                if (doNormalize) x = (x - m) / s;
                _table[c * 256 + v] = x;
            }
        }
    }

    public ProcessedImage ToChw(RgbImage image)
    {
        int n = image.Width * image.Height;
        var data = new float[3 * n];
        byte[] p = image.Pixels;
        var t = _table;
        for (int i = 0; i < n; i++)
        {
            int j = i * 3;
            data[i] = t[p[j]];
            data[n + i] = t[256 + p[j + 1]];
            data[2 * n + i] = t[512 + p[j + 2]];
        }
        return new ProcessedImage(data, image.Height, image.Width);
    }
}
