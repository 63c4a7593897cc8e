using System.Runtime.InteropServices;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

/// <summary>
/// The targets of <see cref="Ops.CrossEntropy(Tensor, LossTargets)"/>: I32 ids on the logits' device, the ignored
/// ones mapped to <see cref="Ops.IgnoreIndex"/> (the one value device kernels know), and how many rows count. Made once
/// per batch on the host (where the labels are checked against the vocabulary), so the op never uploads per call.
/// </summary>
public sealed class LossTargets : IDisposable
{
    public Tensor Ids { get; }

    /// <summary>What the mean divides by: the rows whose target is not ignored (or, for a part of a batch, the whole batch's count; 0 when no row counts).</summary>
    public int Counted { get; }

    private LossTargets(Tensor ids, int counted)
    {
        Ids = ids;
        Counted = counted;
    }

    public static LossTargets Create(ReadOnlySpan<int> targets, int vocab, Device device, int ignoreIndex = Ops.IgnoreIndex) =>
        Create(targets, vocab, device, ignoreIndex, divideBy: null);

    /// <summary>
    /// As <see cref="Create(ReadOnlySpan{int}, int, Device, int)"/>, but the loss divides by <paramref name="divideBy"/>
    /// (null: the rows counted here). A batch split into parts gives each part the whole batch's count, so the parts'
    /// losses (and gradients) add up to the batch's mean.
    /// </summary>
    public static LossTargets Create(ReadOnlySpan<int> targets, int vocab, Device device, int ignoreIndex, int? divideBy)
    {
        var ids = new int[targets.Length];
        int counted = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            int t = targets[i];
            if (t == ignoreIndex) { ids[i] = Ops.IgnoreIndex; continue; }
            if ((uint)t >= (uint)vocab) throw new MantisException($"label {t} is outside the vocabulary of {vocab} tokens");
            ids[i] = t;
            counted++;
        }
        if (divideBy is { } d && (d < counted || (counted > 0 && d <= 0)))
            throw new ArgumentException($"LossTargets: dividing {counted} counted rows by {d}");
        return new LossTargets(Ops.IdTensor(ids, device), counted == 0 ? 0 : divideBy ?? counted);
    }

    public void Dispose() => Ids.Dispose();
}
