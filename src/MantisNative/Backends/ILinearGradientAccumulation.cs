using MantisNative.Tensors;

namespace MantisNative.Backends;

/// <summary>What <see cref="ILinearGradientAccumulation.TryLinearParameterGradients"/> wrote.</summary>
public enum LinearGradientFusion
{
    /// <summary>Nothing: the caller computes dW (and dbias) with the plain primitives.</summary>
    None,
    /// <summary>dW only (the caller still sums the bias gradient, if any).</summary>
    Weight,
    /// <summary>dW and the bias gradient, in one GEMM.</summary>
    WeightAndBias,
}

/// <summary>
/// An optional capability of a device backend (the CUDA one, through cuBLASLt): a Linear's weight gradient
/// dW = g^T x accumulated by the GEMM itself into an fp32 gradient (beta = 1) instead of a fresh buffer plus an add,
/// and the bias gradient (the sum of g's rows) produced by the same GEMM's epilogue. Backends without it (the CPU,
/// which stays the reference) are simply not this interface; the op layer then uses
/// <see cref="IMatMulPrimitives.LinearBackwardWeight"/> and <see cref="IOpPrimitives.SumLeading"/>.
/// </summary>
public interface ILinearGradientAccumulation
{
    /// <summary>
    /// <paramref name="gradW"/> (F32 [outF, inF]) = (<paramref name="accumulate"/> ? gradW : 0) + g^T x, and, when
    /// <paramref name="gradBias"/> (F32 [outF]) is given and the device can in the same call, gradBias = the sum of
    /// g's rows (overwritten). g is [rows, outF], x [rows, inF]. Returns what was written; None leaves both untouched.
    /// </summary>
    LinearGradientFusion TryLinearParameterGradients(Tensor g, Tensor x, Tensor gradW, bool accumulate, Tensor? gradBias, int rows, int inF, int outF);
}
