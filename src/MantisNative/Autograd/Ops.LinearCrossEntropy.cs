using MantisNative.Backends;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static partial class Ops
{
    /// <summary>
    /// The memory one chunk of <see cref="LinearCrossEntropy(Tensor, Tensor, LossTargets, int)"/> may hold for its
    /// logits and their gradient (6 bytes an element: fp32 logits and a bf16 gradient on a GPU; 4 on the CPU). 256 MiB
    /// is ~350 rows of Llama-3's 128,256-token vocabulary: the per-chunk GEMMs stay large, and the chunk is ~1/8 of
    /// the full bf16 logits of 2k tokens.
    /// </summary>
    public static long LinearCrossEntropyChunkBytes { get; set; } = 256L << 20;

    /// <summary>Rows per chunk for a vocabulary under <see cref="LinearCrossEntropyChunkBytes"/>: a multiple of 8 (whole GEMM tiles), at least 1, at most <paramref name="rows"/>.</summary>
    public static int LinearCrossEntropyChunkRows(int rows, int vocab)
    {
        long fit = LinearCrossEntropyChunkBytes / Math.Max(1L, 6L * vocab);
        if (fit >= 8) fit -= fit % 8;
        return (int)Math.Clamp(fit, 1, Math.Max(rows, 1));
    }

    /// <summary>
    /// Mean cross-entropy of the LM head's logits, hidden [..., D] @ weight [V, D]^T, against targets (see
    /// <see cref="LossTargets"/>), without ever holding the [rows, V] logits or their gradient: the rows go through in
    /// chunks of <paramref name="chunkRows"/> (0: <see cref="LinearCrossEntropyChunkRows"/>), and the forward already
    /// computes the hidden gradient and the fp32 weight gradient chunk by chunk (Liger-Kernel's
    /// FusedLinearCrossEntropy design); the backward only scales them by the upstream gradient and accumulates them.
    /// Equals <c>CrossEntropy(Linear(hidden, weight), targets)</c> in loss and gradients (to rounding: the chunked
    /// GEMMs sum in another order). The weight may be frozen (no weight gradient is computed). As CrossEntropy, no
    /// counted target gives a loss of 0 without a gradient.
    /// </summary>
    public static Tensor LinearCrossEntropy(Tensor hidden, Tensor weight, LossTargets targets, int chunkRows = 0)
    {
        if (weight.Rank != 2) throw new ArgumentException($"LinearCrossEntropy: weight {weight.Shape} is not [vocab, dim]");
        int vocab = weight.Dim(0), dim = weight.Dim(1);
        if (hidden.Rank < 1 || hidden.Dim(-1) != dim) throw new ArgumentException($"LinearCrossEntropy {weight.Name ?? ""}: hidden {hidden.Shape} does not end in {dim}");
        int rows = checked((int)(hidden.Numel / dim));
        if (targets.Ids.Numel != rows) throw new ArgumentException($"LinearCrossEntropy: {targets.Ids.Numel} targets for {rows} rows of hidden {hidden.Shape}");
        if (chunkRows < 0) throw new ArgumentException($"LinearCrossEntropy: chunk of {chunkRows} rows");
        var be = On("LinearCrossEntropy", hidden, weight, targets.Ids);
        bool needHidden = Tape.Needs(hidden), needWeight = Tape.Needs(weight);
        var geo = new LinearCrossEntropyGeometry(rows, dim, vocab, chunkRows > 0 ? Math.Min(chunkRows, Math.Max(rows, 1)) : LinearCrossEntropyChunkRows(rows, vocab),
            targets.Counted, needHidden, needWeight);
        var (loss, dh, dw) = be.LinearCrossEntropy(hidden, weight, targets.Ids, geo);
        if (dh is null && dw is null) return loss;
        Tape.Record(loss, g =>
        {
            // the stored gradients are for an upstream gradient of 1: one float scales them (none when it is 1). A loss
            // that is the root of the backward has the seed's value, known to the host; any other is read (one scalar)
            float s = Tape.KnownScalar(g) ?? (g.IsOnDevice ? g.Item() : g.Span[0]);
            Accumulate(hidden, s == 1f || dh is null ? dh : Rescaled(be, dh, s));
            Accumulate(weight, s == 1f || dw is null ? dw : Rescaled(be, dw, s));
        });
        return loss;
    }

    /// <summary>The fused loss against host targets, skipping <paramref name="ignoreIndex"/> (the targets are placed on the hidden states' device).</summary>
    public static Tensor LinearCrossEntropy(Tensor hidden, Tensor weight, ReadOnlySpan<int> targets, int ignoreIndex = IgnoreIndex, int chunkRows = 0)
    {
        var t = LossTargets.Create(targets, weight.Dim(0), hidden.Device, ignoreIndex);
        var loss = LinearCrossEntropy(hidden, weight, t, chunkRows);
        t.Dispose();   // the backward reads only the stored gradients
        return loss;
    }

    private static Tensor Rescaled(IOpPrimitives be, Tensor grad, float s)
    {
        using (grad) return be.Scale(grad, s);
    }
}
