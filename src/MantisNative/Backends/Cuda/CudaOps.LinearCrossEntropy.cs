using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// The fused LM head + cross-entropy on the device, per row chunk: logits fp32 [chunk, vocab] = hidden[chunk] W^T
// (cuBLASLt, bf16 in, fp32 out), linear_ce_chunk (kernels/cross_entropy.cu: per-row loss, bf16 gradient), then
// dHidden[chunk] = dlogits W (bf16) and dW += dlogits^T hidden[chunk] accumulated in fp32 by the GEMM (beta = 1
// after the first chunk). Per chunk the device holds chunk x vocab x 6 bytes; the mean is one block's ordered sum.
internal sealed partial class CudaOps
{
    public (Tensor Loss, Tensor? DHidden, Tensor? DWeight) LinearCrossEntropy(Tensor hidden, Tensor weight, Tensor targets, LinearCrossEntropyGeometry geo)
    {
        RequireBf16("LinearCrossEntropy", hidden, weight);
        RequireTargets(targets, LinearCrossEntropyGeometry.IgnoreIndex);
        var (rows, dim, vocab, chunk) = (geo.Rows, geo.Dim, geo.Vocab, geo.ChunkRows);
        bool grads = geo.Counted > 0 && (geo.NeedHidden || geo.NeedWeight);
        var dh = grads && geo.NeedHidden ? Bf16Like(hidden) : null;
        var dw = grads && geo.NeedWeight ? ZerosF32(weight) : null;
        var y = ZerosF32(hidden, new Shape());
        if (rows == 0 || geo.Counted == 0) return (y, dh, dw);
        int c0 = Math.Min(chunk, rows);
        using var perRow = EmptyF32(hidden, new Shape(rows));
        using var logits = EmptyF32(hidden, new Shape(c0, vocab));
        using var dlogits = grads ? Bf16Like(hidden, new Shape(c0, vocab)) : null;
        int threads = LaunchGeometry.RowThreads(Math.Min(vocab, 1024));
        float scale = 1f / geo.Counted;
        for (int r0 = 0; r0 < rows; r0 += chunk)
        {
            int c = Math.Min(chunk, rows - r0);
            ulong hc = At(hidden, (long)r0 * dim);
            Gemm(1, false, true, c, vocab, dim, hc, dim, 0, P(weight), dim, 0, P(logits), vocab, 0, outF32: true);
            _be.Launch("cross_entropy", "linear_ce_chunk", LaunchGeometry.RowBlocks(c, _be.Context.Device.MultiprocessorCount), new KernelArgs()
                .Ptr(P(logits)).Int(c).Int(vocab).Ptr(P(targets) + (ulong)r0 * sizeof(int)).Ptr(P(perRow) + (ulong)r0 * sizeof(float))
                .Ptr(P(dlogits)).Float(scale), threads);
            if (dh is not null)
                Gemm(1, false, false, c, dim, vocab, P(dlogits), vocab, 0, P(weight), dim, 0, At(dh, (long)r0 * dim), dim, 0);
            if (dw is not null)
                Gemm(1, true, false, vocab, dim, c, P(dlogits), vocab, 0, hc, dim, 0, P(dw), dim, 0, beta: r0 == 0 ? 0f : 1f, outF32: true);
        }
        _be.Launch("cross_entropy", "cross_entropy_mean", 1, new KernelArgs().Ptr(P(perRow)).Int(rows).Float(scale).Ptr(P(y)), 1024);
        return (y, dh, dw);
    }
}
