namespace MantisNative.Backends.Cpu;

/// <summary>
/// Rotary position embedding, Llama convention (rotate_half: the first and second halves of each head
/// pair up). Frequencies follow transformers' float32 arithmetic so that angles match bit for bit.
/// </summary>
public static unsafe class Rope
{
    /// <summary>inv_freq[i] = 1 / theta^(2i/dim), computed as transformers does in float32.</summary>
    public static float[] InverseFrequencies(int headDim, double theta)
    {
        var inv = new float[headDim / 2];
        for (int i = 0; i < inv.Length; i++)
        {
            float e = (float)(2 * i) / headDim;
            inv[i] = 1f / (float)Math.Pow(theta, e);
        }
        return inv;
    }

    /// <summary>The "llama3" rope_scaling rule: long wavelengths divided by factor, a smooth blend in between.</summary>
    public static float[] ApplyLlama3Scaling(float[] invFreq, double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions)
    {
        float oldLen = originalMaxPositions;
        float lowWavelen = oldLen / (float)lowFreqFactor, highWavelen = oldLen / (float)highFreqFactor;
        var r = new float[invFreq.Length];
        for (int i = 0; i < r.Length; i++)
        {
            float f = invFreq[i];
            float wavelen = 2f * MathF.PI / f;
            float scaled = wavelen > lowWavelen ? f / (float)factor : f;
            bool medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
            if (medium)
            {
                float smooth = (oldLen / wavelen - (float)lowFreqFactor) / (float)(highFreqFactor - lowFreqFactor);
                scaled = (1 - smooth) * scaled / (float)factor + smooth * scaled;
            }
            r[i] = scaled;
        }
        return r;
    }

    /// <summary>cos and sin tables [positions.Length, dim/2]; angle = float32(inv_freq * position) as in transformers.</summary>
    public static (float[] Cos, float[] Sin) Tables(float[] invFreq, ReadOnlySpan<int> positions, float attentionScaling = 1f)
    {
        int half = invFreq.Length;
        var cos = new float[positions.Length * half];
        var sin = new float[positions.Length * half];
        for (int t = 0; t < positions.Length; t++)
            for (int i = 0; i < half; i++)
            {
                float angle = invFreq[i] * (float)positions[t];
                cos[t * half + i] = (float)Math.Cos(angle) * attentionScaling;
                sin[t * half + i] = (float)Math.Sin(angle) * attentionScaling;
            }
        return (cos, sin);
    }

    /// <summary>
    /// x is [tokens, heads, dim] (rows of one token contiguous); token t uses table row t.
    /// Forward: y = x cos + rotate_half(x) sin; with <paramref name="transpose"/> the transposed rotation (the backward).
    /// </summary>
    public static void Apply(float* x, float* y, int tokens, int heads, int dim, float[] cos, float[] sin, bool transpose)
    {
        int half = dim / 2;
        nint px = (nint)x, py = (nint)y;
        CpuParallel.ForRange(tokens, 4, (t0, t1) =>
        {
            for (int t = t0; t < t1; t++)
                for (int h = 0; h < heads; h++)
                {
                    float* xr = (float*)px + ((long)t * heads + h) * dim;
                    float* yr = (float*)py + ((long)t * heads + h) * dim;
                    for (int i = 0; i < half; i++)
                    {
                        float c = cos[t * half + i], s = sin[t * half + i];
                        float a = xr[i], b = xr[i + half];
                        if (!transpose)
                        {
                            yr[i] = a * c - b * s;
                            yr[i + half] = b * c + a * s;
                        }
                        else
                        {
                            yr[i] = a * c + b * s;
                            yr[i + half] = b * c - a * s;
                        }
                    }
                }
        });
    }
}
