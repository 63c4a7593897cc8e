using MantisNative.Backends.Cuda;
using MantisNative.Tensors;
using CpuCrossEntropy = MantisNative.Backends.Cpu.CrossEntropy;

namespace MantisNative.Autograd;

public static unsafe partial class Ops
{
    public const int IgnoreIndex = -100;

    /// <summary>
    /// Mean cross-entropy of logits [rows, vocab] (or [..., vocab]) against targets, skipping targets equal to
    /// <paramref name="ignoreIndex"/>. With no counted target the loss is 0 and has no gradient
    /// (PyTorch would return NaN; a batch without answer tokens should not poison training).
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, ReadOnlySpan<int> targets, int ignoreIndex = IgnoreIndex)
    {
        int vocab = logits.Dim(-1), rows = checked((int)(logits.Numel / vocab));
        if (targets.Length != rows) throw new ArgumentException($"CrossEntropy: {targets.Length} targets for {rows} rows of logits {logits.Shape}");
        foreach (var t in targets)
            if (t != ignoreIndex && (uint)t >= (uint)vocab) throw new MantisException($"label {t} is outside the vocabulary of {vocab} tokens");
        if (OnDevice(logits)) return DeviceCrossEntropy(logits, targets, ignoreIndex, rows, vocab);
        var lse = new float[rows];
        var (sum, count) = CpuCrossEntropy.Forward(logits.Data, rows, vocab, targets, ignoreIndex, lse);
        var y = Tensor.Scalar(count == 0 ? 0f : (float)(sum / count));
        if (count > 0 && Tape.Needs(logits))
        {
            var t = targets.ToArray();
            Tape.Record(y, g =>
            {
                using var gl = Tensor.Zeros(logits.Shape);
                CpuCrossEntropy.Backward(logits.Data, rows, vocab, t, ignoreIndex, lse, g.Span[0] / count, gl.Data);
                logits.AccumulateGrad(gl);
            });
        }
        return y;
    }

    /// <summary>The device kernels know one ignore value (-100): other ignore indices are mapped to it here.</summary>
    private static Tensor DeviceCrossEntropy(Tensor logits, ReadOnlySpan<int> targets, int ignoreIndex, int rows, int vocab)
    {
        var t = new int[targets.Length];
        int count = 0;
        for (int i = 0; i < t.Length; i++)
        {
            t[i] = targets[i] == ignoreIndex ? IgnoreIndex : targets[i];
            if (targets[i] != ignoreIndex) count++;
        }
        return CudaOps.CrossEntropy(logits, t, count, rows, vocab);
    }
}
