using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// Fused softmax cross-entropy over vocabulary chunks (kernels/cross_entropy.cu). The loss is an F32 scalar on the
// device; its backward reads the incoming gradient (one float) on the host, which is one sync per step.
public static partial class CudaOps
{
    /// <summary>Columns per chunk: the whole [rows, vocab] softmax never needs to exist as fp32.</summary>
    public const int CrossEntropyChunk = 32768;

    public static Tensor CrossEntropy(Tensor logits, int[] targets, int count, int rows, int vocab)
    {
        RequireBf16("CrossEntropy", logits);
        var be = Be(logits);
        var t = Ints(logits, targets);
        var runMax = EmptyF32(logits, new Shape(rows));
        using var runSum = ZerosF32(logits, new Shape(rows));
        using var target = ZerosF32(logits, new Shape(rows));
        var lse = EmptyF32(logits, new Shape(rows));
        using var perRow = EmptyF32(logits, new Shape(rows));
        var y = ZerosF32(logits, new Shape());
        int threads = LaunchGeometry.RowThreads(Math.Min(vocab, 1024));
        uint rowBlocks = LaunchGeometry.RowBlocks(rows, be.Context.Device.MultiprocessorCount);
        if (rows > 0)
        {
            be.Launch("cast", "fill_f32", 1, new KernelArgs().Ptr(P(runMax)).Float(float.NegativeInfinity).Long(rows));
            for (int c0 = 0; c0 < vocab; c0 += CrossEntropyChunk)
            {
                int cols = Math.Min(CrossEntropyChunk, vocab - c0);
                be.Launch("cross_entropy", "cross_entropy_chunk_stats", rowBlocks, new KernelArgs()
                    .Ptr(P(logits) + (ulong)c0 * 2).Long(vocab).Int(rows).Int(cols).Int(c0).Ptr(P(t)).Ptr(P(runMax)).Ptr(P(runSum)).Ptr(P(target)), threads);
            }
            be.Launch("cross_entropy", "cross_entropy_finalize", be.Blocks(rows), new KernelArgs()
                .Ptr(P(runMax)).Ptr(P(runSum)).Ptr(P(target)).Ptr(P(t)).Ptr(P(lse)).Ptr(P(perRow)).Int(rows).Int(vocab));
            if (count > 0)
                be.Launch("cross_entropy", "cross_entropy_mean", 1, new KernelArgs().Ptr(P(perRow)).Int(rows).Float(1f / count).Ptr(P(y)), 1024);
        }
        runMax.Dispose();
        if (count == 0 || !Tape.Needs(logits)) { t.Dispose(); lse.Dispose(); return y; }
        Record(y, g =>
        {
            float dloss = g.Item();   // one float: the host computes scale = dloss / count for the kernel
            using var gl = Bf16Like(logits);
            for (int c0 = 0; c0 < vocab; c0 += CrossEntropyChunk)
            {
                int cols = Math.Min(CrossEntropyChunk, vocab - c0);
                long n = (long)rows * cols;
                be.Launch("cross_entropy", "cross_entropy_chunk_grad", be.Blocks(n), new KernelArgs()
                    .Ptr(P(logits) + (ulong)c0 * 2).Long(vocab).Ptr(P(gl) + (ulong)c0 * 2).Long(vocab)
                    .Int(rows).Int(cols).Int(c0).Ptr(P(t)).Ptr(P(lse)).Int(vocab).Float(dloss / count));
            }
            logits.AccumulateGrad(gl);
        });
        return y;
    }
}
