using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu;

internal sealed unsafe partial class CpuOps
{
    public (Tensor Loss, Tensor Lse) CrossEntropyForward(Tensor logits, Tensor targets, int ignoreIndex, int counted)
    {
        int vocab = logits.Dim(-1), rows = checked((int)(logits.Numel / vocab));
        var lse = new float[rows];
        var (sum, count) = CrossEntropy.Forward(logits.Data, rows, vocab, targets.AsSpan<int>(), ignoreIndex, lse);
        // divides by the targets' count, which for a part of a batch is the whole batch's (LossTargets)
        return (Tensor.Scalar(count == 0 ? 0f : (float)(sum / counted)), Tensor.FromArray(lse, rows));
    }

    public Tensor CrossEntropyBackward(Tensor g, Tensor logits, Tensor targets, Tensor lse, int ignoreIndex, int counted)
    {
        int vocab = logits.Dim(-1), rows = checked((int)(logits.Numel / vocab));
        var gl = Tensor.Zeros(logits.Shape);
        CrossEntropy.Backward(logits.Data, rows, vocab, targets.AsSpan<int>(), ignoreIndex, lse.Span.ToArray(), g.Span[0] / counted, gl.Data);
        return gl;
    }
}
