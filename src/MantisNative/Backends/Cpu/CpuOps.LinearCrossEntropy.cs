using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu;

// The fused LM head + cross-entropy on the CPU: one [chunk, vocab] fp32 buffer, reused for the logits and then (in
// place) their gradient; the gradients of every chunk go straight into dHidden rows and the fp32 dWeight (beta = 1
// after the first chunk). The softmax cross-entropy is the unfused op's own (CrossEntropy.Forward/Backward).
internal sealed unsafe partial class CpuOps
{
    public (Tensor Loss, Tensor? DHidden, Tensor? DWeight) LinearCrossEntropy(Tensor hidden, Tensor weight, Tensor targets, LinearCrossEntropyGeometry geo)
    {
        var (rows, dim, vocab, chunk) = (geo.Rows, geo.Dim, geo.Vocab, geo.ChunkRows);
        bool grads = geo.Counted > 0 && (geo.NeedHidden || geo.NeedWeight);
        var dh = grads && geo.NeedHidden ? Tensor.Empty(hidden.Shape) : null;
        var dw = grads && geo.NeedWeight ? Tensor.Zeros(weight.Shape) : null;
        var ids = targets.AsSpan<int>();
        using var buffer = new HostStorage((long)Math.Min(chunk, Math.Max(rows, 1)) * vocab * sizeof(float), zero: false);
        float* logits = (float*)buffer.Pointer, h = hidden.Data, w = weight.Data;
        float scale = geo.Counted == 0 ? 0f : 1f / geo.Counted;
        double sum = 0;
        int count = 0;
        for (int r0 = 0; r0 < rows; r0 += chunk)
        {
            int c = Math.Min(chunk, rows - r0);
            float* hc = h + (long)r0 * dim;
            var tc = ids.Slice(r0, c);
            Gemm.Sgemm(false, true, c, vocab, dim, 1f, hc, dim, w, dim, 0f, logits, vocab);
            var lse = new float[c];
            var (s, n) = CrossEntropy.Forward(logits, c, vocab, tc, LinearCrossEntropyGeometry.IgnoreIndex, lse);
            sum += s;
            count += n;
            if (!grads) continue;
            CrossEntropy.Backward(logits, c, vocab, tc, LinearCrossEntropyGeometry.IgnoreIndex, lse, scale, logits);   // in place
            if (dh is not null) Gemm.Sgemm(false, false, c, dim, vocab, 1f, logits, vocab, w, dim, 0f, dh.Data + (long)r0 * dim, dim);
            if (dw is not null) Gemm.Sgemm(true, false, vocab, dim, c, 1f, logits, vocab, hc, dim, r0 == 0 ? 0f : 1f, dw.Data, dim);
        }
        // divides by the targets' count, which for a part of a batch is the whole batch's (LossTargets)
        return (Tensor.Scalar(count == 0 ? 0f : (float)(sum / geo.Counted)), dh, dw);
    }
}
