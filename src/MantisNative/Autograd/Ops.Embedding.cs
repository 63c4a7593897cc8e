using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static partial class Ops
{
    /// <summary>Rows of an embedding table [V, D] for token ids; returns [ids.Length, D].</summary>
    public static Tensor Embedding(Tensor weight, ReadOnlySpan<int> ids)
    {
        int vocab = weight.Dim(0);
        foreach (var id in ids)
            if ((uint)id >= (uint)vocab)
                throw new MantisException($"token id {id} is outside the embedding table of {vocab} rows{(weight.Name is null ? "" : $" ({weight.Name})")}");
        return IndexSelect(weight, ids.ToArray());
    }

    /// <summary>
    /// Patch embedding: a convolution with stride equal to its kernel. pixels [N, C, H, W], weight [D, C, P, P],
    /// bias [D]; returns [N, (H/P)*(W/P), D].
    /// </summary>
    public static Tensor PatchEmbed(Tensor pixels, Tensor weight, Tensor? bias)
    {
        int n = pixels.Dim(0), c = pixels.Dim(1), h = pixels.Dim(2), w = pixels.Dim(3);
        int d = weight.Dim(0), p = weight.Dim(2);
        if (weight.Rank != 4 || weight.Dim(1) != c || weight.Dim(3) != p)
            throw new ArgumentException($"PatchEmbed: weight {weight.Shape} does not fit pixels {pixels.Shape}");
        int patches = (h / p) * (w / p);
        RequireSameDevice("PatchEmbed", pixels, weight, bias);
        // Intermediates stay alive: the tape keeps them for the backward (the GC frees them after).
        var cols = Im2Col(pixels, p);
        var w2 = Reshape(weight, d, c * p * p);
        var flat = Linear(cols, w2, bias);
        var y = Reshape(flat, n, patches, d);
        if (!Tape.IsRecording) { cols.Dispose(); w2.Dispose(); flat.Dispose(); }
        return y;
    }

    private static Tensor Im2Col(Tensor pixels, int p)
    {
        var be = On(pixels);
        var cols = be.Im2Col(pixels, p);
        if (Tape.Needs(pixels)) Tape.Record(cols, g => Accumulate(pixels, be.Im2ColBackward(g, pixels, p)));
        return cols;
    }
}
