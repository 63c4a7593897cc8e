namespace MantisNative.Models;

/// <summary>
/// Where image features go in a batch of token ids. Accepts one `&lt;image&gt;` id per image (expanded here
/// to the tower's feature count, as the Mantis reference does) or runs already expanded; rows of
/// different expanded lengths are right-padded.
/// </summary>
public sealed class ImageTokenLayout
{
    public int Batch { get; }
    public int Length { get; }
    /// <summary>Expanded ids [Batch * Length]; image positions hold the image token id.</summary>
    public int[] Ids { get; }
    /// <summary>Expanded labels or null; image positions are -100.</summary>
    public int[]? Labels { get; }
    /// <summary>[Batch * Length], false for padding.</summary>
    public bool[] Valid { get; }
    /// <summary>For each expanded position: -1 for text, else the index of the image feature row (image * perImage + k).</summary>
    public int[] FeatureRow { get; }

    private ImageTokenLayout(int batch, int length, int[] ids, int[]? labels, bool[] valid, int[] featureRow)
    {
        (Batch, Length, Ids, Labels, Valid, FeatureRow) = (batch, length, ids, labels, valid, featureRow);
    }

    public static ImageTokenLayout Build(int[] ids, int batch, int[]? labels, bool[]? mask, int imageTokenId, int images, int perImage, int padId)
    {
        if (batch <= 0 || ids.Length % batch != 0) throw new MantisException($"input_ids of {ids.Length} tokens cannot be split into {batch} rows");
        int t = ids.Length / batch;
        if (labels is not null && labels.Length != ids.Length) throw new MantisException($"labels has {labels.Length} entries, input_ids {ids.Length}");
        if (mask is not null && mask.Length != ids.Length) throw new MantisException($"attention_mask has {mask.Length} entries, input_ids {ids.Length}");
        int count = ids.Count(i => i == imageTokenId);
        bool expand;
        if (count == images) expand = perImage != 1;
        else if (count == images * perImage) expand = false;
        else
            throw new MantisException(
                $"input_ids hold {count} image tokens (id {imageTokenId}) but {images} image(s) were given: expected {images} (one per image) or {images * perImage} (already expanded, {perImage} per image)");

        var rows = new List<(List<int> Ids, List<int> Labels, List<bool> Valid, List<int> Feat)>();
        int feature = 0;
        for (int b = 0; b < batch; b++)
        {
            var r = (new List<int>(), new List<int>(), new List<bool>(), new List<int>());
            for (int i = 0; i < t; i++)
            {
                int id = ids[b * t + i];
                int lab = labels?[b * t + i] ?? -100;
                bool ok = mask?[b * t + i] ?? true;
                if (id == imageTokenId)
                {
                    int n = expand ? perImage : 1;
                    for (int k = 0; k < n; k++) { r.Item1.Add(id); r.Item2.Add(-100); r.Item3.Add(ok); r.Item4.Add(feature++); }
                }
                else { r.Item1.Add(id); r.Item2.Add(lab); r.Item3.Add(ok); r.Item4.Add(-1); }
            }
            rows.Add(r);
        }
        int len = rows.Max(r => r.Ids.Count);
        var outIds = new int[batch * len];
        var outLabels = labels is null ? null : new int[batch * len];
        var outValid = new bool[batch * len];
        var outFeat = new int[batch * len];
        for (int b = 0; b < batch; b++)
        {
            var r = rows[b];
            for (int i = 0; i < len; i++)
            {
                bool real = i < r.Ids.Count;
                outIds[b * len + i] = real ? r.Ids[i] : padId;
                if (outLabels is not null) outLabels[b * len + i] = real ? r.Labels[i] : -100;
                outValid[b * len + i] = real && r.Valid[i];
                outFeat[b * len + i] = real ? r.Feat[i] : -1;
            }
        }
        return new ImageTokenLayout(batch, len, outIds, outLabels, outValid, outFeat);
    }

    /// <summary>Each row's length without its right padding: one past its last valid position (0 for a row with none).</summary>
    public int[] UsedLengths()
    {
        var used = new int[Batch];
        for (int b = 0; b < Batch; b++)
            for (int i = Length - 1; i >= 0; i--)
                if (Valid[b * Length + i]) { used[b] = i + 1; break; }
        return used;
    }

    /// <summary>
    /// The layout of some rows, cut to <paramref name="length"/> positions (at least every picked row's
    /// <see cref="UsedLengths"/>, so only right padding is dropped). Feature rows keep their batch-wide numbering.
    /// </summary>
    public ImageTokenLayout SelectRows(IReadOnlyList<int> rows, int length)
    {
        if (length < 1 || length > Length) throw new ArgumentOutOfRangeException(nameof(length), $"length {length} outside 1..{Length}");
        int n = rows.Count;
        var ids = new int[n * length];
        var labels = Labels is null ? null : new int[n * length];
        var valid = new bool[n * length];
        var feat = new int[n * length];
        for (int r = 0; r < n; r++)
        {
            int src = rows[r] * Length, dst = r * length;
            for (int i = length; i < Length; i++)
                if (Valid[src + i]) throw new ArgumentException($"row {rows[r]} has a valid position at {i}, past the cut at {length}");
            Array.Copy(Ids, src, ids, dst, length);
            if (labels is not null) Array.Copy(Labels!, src, labels, dst, length);
            Array.Copy(Valid, src, valid, dst, length);
            Array.Copy(FeatureRow, src, feat, dst, length);
        }
        return new ImageTokenLayout(n, length, ids, labels, valid, feat);
    }
}
