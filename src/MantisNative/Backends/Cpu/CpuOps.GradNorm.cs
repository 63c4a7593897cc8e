using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu;

internal sealed unsafe partial class CpuOps
{
    /// <summary>Sums of squares over 8,192-element chunks in fp32 (SIMD), the chunks added in double in order.</summary>
    public Tensor GradSquaredNorm(IReadOnlyList<Tensor> grads) => Tensor.FromArray(new[] { (float)SumOfSquares(grads) }, 1);

    /// <summary>The double-precision total behind <see cref="GradSquaredNorm"/> (host clipping keeps it in double).</summary>
    public static double SumOfSquares(IReadOnlyList<Tensor> grads)
    {
        double sum = 0;
        foreach (var t in grads)
        {
            if (t.DType != DType.F32) throw new ArgumentException($"GradSquaredNorm: the CPU keeps gradients in F32, got {t.DType}");
            var g = t.Span;
            for (int i = 0; i < g.Length; i += 8192)
                sum += TensorPrimitives.SumOfSquares(g.Slice(i, Math.Min(8192, g.Length - i)));
        }
        return sum;
    }
}
