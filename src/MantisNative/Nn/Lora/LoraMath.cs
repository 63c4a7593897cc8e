using System.Numerics;

namespace MantisNative.Nn.Lora;

/// <summary>
/// LoRA and DoRA weight arithmetic on plain row-major arrays, one output row at a time (so a merge of an 8B model
/// never needs more than one row of a weight at once). W is [out, in], A (lora_A) [r, in], B (lora_B) [out, r].
/// LoRA: W' = W + s·B·A. DoRA (PEFT): V = W + s·B·A, W' = m ⊙ V / ‖V‖ with the L2 norm of each output row of V
/// and the magnitude m [out]. The update of a row is summed in double over the rank (k = 0..r-1 in order) and
/// rounded to float once, so the result is the correctly rounded value of that sum, independent of SIMD width.
/// </summary>
public static class LoraMath
{
    /// <summary>Row <paramref name="row"/> of s·B·A, in double: delta[i] = s · Σ_k B[row,k] · A[k,i].</summary>
    public static void DeltaRow(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int rank, int inFeatures, int row, double scale, Span<double> delta)
    {
        if (delta.Length < inFeatures) throw new ArgumentException("delta row too short", nameof(delta));
        if (a.Length != rank * inFeatures) throw new ArgumentException($"lora_A holds {a.Length} values, [{rank}, {inFeatures}] needs {rank * inFeatures}", nameof(a));
        delta = delta[..inFeatures];
        delta.Clear();
        int w = Vector<float>.Count, half = Vector<double>.Count;
        for (int k = 0; k < rank; k++)
        {
            double bk = b[row * rank + k];
            if (bk == 0) continue; // a fresh adapter has B = 0; skipping changes nothing (0·x adds +0)
            var aRow = a.Slice(k * inFeatures, inFeatures);
            var bv = new Vector<double>(bk);
            int i = 0;
            for (; i + w <= inFeatures; i += w)
            {
                Vector.Widen(new Vector<float>(aRow.Slice(i, w)), out var lo, out var hi);
                (new Vector<double>(delta.Slice(i, half)) + bv * lo).CopyTo(delta.Slice(i, half));
                (new Vector<double>(delta.Slice(i + half, half)) + bv * hi).CopyTo(delta.Slice(i + half, half));
            }
            for (; i < inFeatures; i++) delta[i] += bk * aRow[i];
        }
        if (scale != 1) for (int i = 0; i < inFeatures; i++) delta[i] *= scale;
    }

    /// <summary>Merged LoRA row: dst[i] = (float)(W[i] + delta[i]).</summary>
    public static void MergeRow(ReadOnlySpan<float> weightRow, ReadOnlySpan<double> delta, Span<float> dst)
    {
        for (int i = 0; i < weightRow.Length; i++) dst[i] = (float)(weightRow[i] + delta[i]);
    }

    /// <summary>Merged DoRA row: V = W + delta, dst = magnitude · V / ‖V‖ (‖V‖ = 0 leaves the row 0, as 0/0 has no direction).</summary>
    public static void MergeDoraRow(ReadOnlySpan<float> weightRow, ReadOnlySpan<double> delta, float magnitude, Span<float> dst)
    {
        double norm2 = 0;
        for (int i = 0; i < weightRow.Length; i++) { double v = weightRow[i] + delta[i]; norm2 += v * v; }
        double f = norm2 > 0 ? magnitude / Math.Sqrt(norm2) : 0;
        for (int i = 0; i < weightRow.Length; i++) dst[i] = (float)((weightRow[i] + delta[i]) * f);
    }

    /// <summary>
    /// The whole merged weight [out, in] (LoRA, or DoRA when <paramref name="magnitude"/> is given); for tests and
    /// small weights (a large model merges row by row through <see cref="DeltaRow"/>).
    /// </summary>
    public static float[] Merge(ReadOnlySpan<float> weight, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int outFeatures, int inFeatures,
        int rank, double scale, ReadOnlySpan<float> magnitude = default)
    {
        if (weight.Length != outFeatures * inFeatures) throw new ArgumentException($"weight holds {weight.Length} values, [{outFeatures}, {inFeatures}] needs {outFeatures * inFeatures}", nameof(weight));
        if (b.Length != outFeatures * rank) throw new ArgumentException($"lora_B holds {b.Length} values, [{outFeatures}, {rank}] needs {outFeatures * rank}", nameof(b));
        if (!magnitude.IsEmpty && magnitude.Length != outFeatures) throw new ArgumentException($"magnitude holds {magnitude.Length} values, {outFeatures} needed", nameof(magnitude));
        var result = new float[weight.Length];
        var delta = new double[inFeatures];
        for (int o = 0; o < outFeatures; o++)
        {
            DeltaRow(a, b, rank, inFeatures, o, scale, delta);
            var row = weight.Slice(o * inFeatures, inFeatures);
            var dst = result.AsSpan(o * inFeatures, inFeatures);
            if (magnitude.IsEmpty) MergeRow(row, delta, dst);
            else MergeDoraRow(row, delta, magnitude[o], dst);
        }
        return result;
    }

    /// <summary>DoRA's initial magnitude (PEFT): the row norms of W + s·B·A (with a fresh B = 0, of W itself).</summary>
    public static float[] DoraMagnitude(ReadOnlySpan<float> weight, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int outFeatures, int inFeatures, int rank, double scale)
    {
        var m = new float[outFeatures];
        var delta = new double[inFeatures];
        for (int o = 0; o < outFeatures; o++)
        {
            DeltaRow(a, b, rank, inFeatures, o, scale, delta);
            double n2 = 0;
            for (int i = 0; i < inFeatures; i++) { double v = weight[o * inFeatures + i] + delta[i]; n2 += v * v; }
            m[o] = (float)Math.Sqrt(n2);
        }
        return m;
    }
}
