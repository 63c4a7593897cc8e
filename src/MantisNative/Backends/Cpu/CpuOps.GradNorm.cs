using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu;

internal sealed partial class CpuOps
{
    /// <summary>The sum of squares of F32 tensors: float sums over 8192-element chunks, added in double in order (as
    /// <c>GradientClipping.GlobalNorm</c>, which calls <see cref="SumOfSquaresDouble"/>), rounded once to float here.</summary>
    public Tensor SumOfSquares(IReadOnlyList<Tensor> tensors)
    {
        var total = Tensor.Zeros(new Shape(1));
        total.Span[0] = (float)SumOfSquaresDouble(tensors);
        return total;
    }

    /// <summary>The same sum kept in double (the CPU trainer's clip reads it without the final rounding).</summary>
    public static double SumOfSquaresDouble(IEnumerable<Tensor> tensors)
    {
        double sum = 0;
        foreach (var t in tensors)
        {
            if (t.DType != DType.F32) throw new MantisException($"SumOfSquares on the host: tensors are F32, got {t.DType}");
            var g = t.Span;
            for (int i = 0; i < g.Length; i += 8192)
                sum += TensorPrimitives.SumOfSquares(g.Slice(i, Math.Min(8192, g.Length - i)));
        }
        return sum;
    }
}
