using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// The op primitives on one CUDA device: each launches its kernels on the device's stream and returns new tensors.
/// Nothing here records a backward: the op layer (Ops) does, once for every device. Activations and weights are BF16
/// (fp32 math inside the kernels); scalar losses, norms' statistics and leaf gradients are F32.
/// </summary>
internal sealed partial class CudaOps : IOpPrimitives, ILinearGradientAccumulation
{
    private readonly CudaBackend _be;

    public CudaOps(CudaBackend backend) => _be = backend;

    private static void RequireBf16(string op, params Tensor?[] ts)
    {
        foreach (var t in ts)
            if (t is not null && t.DType != DType.BF16)
                throw new MantisException($"{op} on {t.Device} takes BF16 tensors; {t.Name ?? t.Shape.ToString()} is {t.DType} " +
                                          "(move tensors with To(device), which converts floating tensors to BF16)");
    }

    private static void Require(string op, Tensor t, DType dtype, string what)
    {
        if (t.DType != dtype) throw new MantisException($"{op} on {t.Device}: {what} must be {dtype}, got {t.DType}");
    }

    private static Tensor Bf16Like(Tensor like, Shape? shape = null) => Tensor.EmptyOn(like.Device, shape ?? like.Shape, DType.BF16);
    private static Tensor ZerosF32(Tensor like, Shape? shape = null) => Tensor.ZerosOn(like.Device, shape ?? like.Shape, DType.F32);
    private static Tensor EmptyF32(Tensor like, Shape shape) => Tensor.EmptyOn(like.Device, shape, DType.F32);

    private static ulong P(Tensor? t) => t?.DevicePointer ?? 0UL;
}
