using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static partial class Ops
{
    public const int IgnoreIndex = -100;

    /// <summary>
    /// Mean cross-entropy of logits [rows, vocab] (or [..., vocab]) against targets (see <see cref="LossTargets"/>).
    /// With no counted target the loss is 0 and has no gradient (PyTorch would return NaN; a batch without answer
    /// tokens should not poison training).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, LossTargets targets)
    {
        int vocab = logits.Dim(-1), rows = checked((int)(logits.Numel / vocab));
        if (targets.Ids.Numel != rows) throw new ArgumentException($"CrossEntropy: {targets.Ids.Numel} targets for {rows} rows of logits {logits.Shape}");
        var be = On("CrossEntropy", logits, targets.Ids);
        var ids = targets.Ids;
        int counted = targets.Counted;
        var (loss, lse) = be.CrossEntropyForward(logits, ids, IgnoreIndex, counted);
        if (counted == 0 || !Tape.Needs(logits)) { lse.Dispose(); return loss; }
        Tape.Record(loss, g =>
        {
            Accumulate(logits, be.CrossEntropyBackward(g, logits, ids, lse, IgnoreIndex, counted));
            lse.Dispose();
        });
        return loss;
    }

    /// <summary>Cross-entropy against host targets, skipping <paramref name="ignoreIndex"/> (the targets are placed on the logits' device).</summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> targets, int ignoreIndex = IgnoreIndex)
    {
        int vocab = logits.Dim(-1), rows = checked((int)(logits.Numel / vocab));
        if (targets.Length != rows) throw new ArgumentException($"CrossEntropy: {targets.Length} targets for {rows} rows of logits {logits.Shape}");
        var t = LossTargets.Create(targets, vocab, logits.Device, ignoreIndex);
        var loss = CrossEntropy(logits, t);
        if (!Tape.Needs(logits)) t.Dispose();   // else the backward reads the ids
        return loss;
    }
}
