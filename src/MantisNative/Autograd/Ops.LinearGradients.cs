using MantisNative.Backends;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static partial class Ops
{
    /// <summary>
    /// A Linear's parameter gradients through the backend's fused GEMM (<see cref="ILinearGradientAccumulation"/>):
    /// dW added by the GEMM itself into w's F32 gradient (or written into a new one), the bias gradient from the same
    /// call's epilogue, written into a new F32 gradient or into a scratch vector then added. Returns what it did; None
    /// (nothing touched) for backends without the capability, non-F32 gradients, or shapes cuBLASLt refuses.
    /// </summary>
    private static LinearGradientFusion TryFusedLinearParameterGradients(IOpPrimitives be, Tensor g, Tensor x, Tensor w, Tensor? bias, int rows, int inF, int outF)
    {
        if (be is not ILinearGradientAccumulation fusedBackend || !w.TryGetDeviceF32GradTarget(out var gradW, out bool freshW)) return LinearGradientFusion.None;
        Tensor? biasTarget = null, biasScratch = null;
        bool freshBias = false;
        if (bias is not null && bias.RequiresGrad && bias.TryGetDeviceF32GradTarget(out var bt, out freshBias))
            (biasTarget, biasScratch) = freshBias ? (bt, null) : (bt, Tensor.EmptyOn(bias.Device, bias.Shape, DType.F32));
        var fused = LinearGradientFusion.None;
        try
        {
            fused = fusedBackend.TryLinearParameterGradients(g, x, gradW, !freshW, biasScratch ?? biasTarget, rows, inF, outF);
            if (fused != LinearGradientFusion.None && freshW) w.AdoptGrad(gradW);
            if (fused == LinearGradientFusion.WeightAndBias)
            {
                if (freshBias) bias!.AdoptGrad(biasTarget!);
                else bias!.AccumulateGrad(biasScratch!);
            }
            return fused;
        }
        finally
        {
            if (fused == LinearGradientFusion.None && freshW) gradW.Dispose();
            if (fused != LinearGradientFusion.WeightAndBias && freshBias) biasTarget!.Dispose();
            biasScratch?.Dispose();
        }
    }
}
