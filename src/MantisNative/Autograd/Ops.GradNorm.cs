using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static partial class Ops
{
    /// <summary>The sum of squares of all the tensors' elements (a global gradient norm squared) as an F32 [1] tensor on
    /// their device, not read back (no tape: optimizer bookkeeping). Deterministic on every device.</summary>
    public static Tensor SumOfSquares(IReadOnlyList<Tensor> tensors)
    {
        if (tensors.Count == 0) throw new ArgumentException("SumOfSquares needs at least one tensor");
        return On("SumOfSquares", tensors).SumOfSquares(tensors);
    }
}
