using MantisNative.Tensors;

namespace MantisNative.Autograd;

/// <summary>
/// The constant inputs of <see cref="Ops.Rope(Tensor, Tensor, Tensor)"/>: inverse frequencies (with the rope_scaling
/// rules) and cos/sin tables per position. Frequencies follow transformers' float32 arithmetic so that angles match
/// bit for bit; the tables are computed on the host and placed on the op's device once per forward.
/// </summary>
public static class RopeTables
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

    /// <summary>The tables of <see cref="Tables"/> as F32 tensors [positions, dim/2] on <paramref name="device"/>.</summary>
    public static (Tensor Cos, Tensor Sin) OnDevice(float[] invFreq, ReadOnlySpan<int> positions, Device device)
    {
        var (cos, sin) = Tables(invFreq, positions);
        return (Place(cos, positions.Length, invFreq.Length, device), Place(sin, positions.Length, invFreq.Length, device));
    }

    internal static Tensor Place(float[] table, int rows, int half, Device device)
    {
        var host = Tensor.FromArray(table, rows, half);
        if (device.IsCpu) return host;
        using (host) return host.To(device, DType.F32);
    }
}
