using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// Fused softmax cross-entropy over vocabulary chunks (kernels/cross_entropy.cu). The loss is an F32 scalar on the
// device; its backward reads the incoming gradient (one float) on the host, which is one sync per step.
internal sealed partial class CudaOps
{
    /// <summary>Columns per chunk: the whole [rows, vocab] softmax never needs to exist as fp32.</summary>
    public const int CrossEntropyChunk = 32768;

    /// <summary>The kernels know one ignore value; <c>Ops</c> maps any other ignore index to it when it builds the targets.</summary>
    private const int KernelIgnoreIndex = -100;

    private static void RequireTargets(Tensor targets, int ignoreIndex)
    {
        Require("CrossEntropy", targets, DType.I32, "the targets");
        if (ignoreIndex != KernelIgnoreIndex)
            throw new MantisException($"CrossEntropy on {targets.Device}: the kernels ignore target {KernelIgnoreIndex}, not {ignoreIndex}");
    }

    public (Tensor Loss, Tensor Lse) CrossEntropyForward(Tensor logits, Tensor targets, int ignoreIndex, int counted)
    {
        RequireBf16("CrossEntropy", logits);
        RequireTargets(targets, ignoreIndex);
        int vocab = logits.Dim(-1), rows = checked((int)(logits.Numel / vocab));
        using var runMax = EmptyF32(logits, new Shape(rows));
        using var runSum = ZerosF32(logits, new Shape(rows));
        using var target = ZerosF32(logits, new Shape(rows));
        var lse = EmptyF32(logits, new Shape(rows));
        using var perRow = EmptyF32(logits, new Shape(rows));
        var y = ZerosF32(logits, new Shape());
        int threads = LaunchGeometry.RowThreads(Math.Min(vocab, 1024));
        uint rowBlocks = LaunchGeometry.RowBlocks(rows, _be.Context.Device.MultiprocessorCount);
        if (rows > 0)
        {
            _be.Launch("cast", "fill_f32", 1, new KernelArgs().Ptr(P(runMax)).Float(float.NegativeInfinity).Long(rows));
            for (int c0 = 0; c0 < vocab; c0 += CrossEntropyChunk)
            {
                int cols = Math.Min(CrossEntropyChunk, vocab - c0);
                _be.Launch("cross_entropy", "cross_entropy_chunk_stats", rowBlocks, new KernelArgs()
                    .Ptr(P(logits) + (ulong)c0 * 2).Long(vocab).Int(rows).Int(cols).Int(c0).Ptr(P(targets)).Ptr(P(runMax)).Ptr(P(runSum)).Ptr(P(target)), threads);
            }
            _be.Launch("cross_entropy", "cross_entropy_finalize", _be.Blocks(rows), new KernelArgs()
                .Ptr(P(runMax)).Ptr(P(runSum)).Ptr(P(target)).Ptr(P(targets)).Ptr(P(lse)).Ptr(P(perRow)).Int(rows).Int(vocab));
            if (counted > 0)
                _be.Launch("cross_entropy", "cross_entropy_mean", 1, new KernelArgs().Ptr(P(perRow)).Int(rows).Float(1f / counted).Ptr(P(y)), 1024);
        }
        return (y, lse);
    }

    public Tensor CrossEntropyBackward(Tensor g, Tensor logits, Tensor targets, Tensor lse, int ignoreIndex, int counted)
    {
        RequireTargets(targets, ignoreIndex);
        int vocab = logits.Dim(-1), rows = checked((int)(logits.Numel / vocab));
        float dloss = g.Item();   // one float: the host computes scale = dloss / count for the kernel
        var gl = Bf16Like(logits);
        for (int c0 = 0; c0 < vocab; c0 += CrossEntropyChunk)
        {
            int cols = Math.Min(CrossEntropyChunk, vocab - c0);
            long n = (long)rows * cols;
            _be.Launch("cross_entropy", "cross_entropy_chunk_grad", _be.Blocks(n), new KernelArgs()
                .Ptr(P(logits) + (ulong)c0 * 2).Long(vocab).Ptr(P(gl) + (ulong)c0 * 2).Long(vocab)
                .Int(rows).Int(cols).Int(c0).Ptr(P(targets)).Ptr(P(lse)).Int(vocab).Float(dloss / counted));
        }
        return gl;
    }
}
