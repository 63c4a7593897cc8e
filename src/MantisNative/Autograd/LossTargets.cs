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

    /// <summary>Rows whose target is not ignored: the mean divides by this.</summary>
    public int Counted { get; }

    private LossTargets(Tensor ids, int counted)
    {
        Ids = ids;
        Counted = counted;
    }

    public static LossTargets Create(ReadOnlySpan<int> targets, int vocab, Device device, int ignoreIndex = Ops.IgnoreIndex)
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
        return new LossTargets(Ops.IdTensor(ids, device), counted);
    }

    public void Dispose() => Ids.Dispose();
}
