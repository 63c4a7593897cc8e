using MantisNative.Tensors;

namespace MantisNative.Backends.Cpu;

/// <summary>
/// The op primitives on the host: F32 tensors, SIMD kernels of this folder. The reference every other device is
/// checked against. Gradients come back as new zero-initialised F32 tensors (the kernels write or add into them).
/// </summary>
internal sealed unsafe partial class CpuOps : IOpPrimitives
{
    public static readonly CpuOps Instance = new();

    private CpuOps() { }

    private static Tensor? ZerosIf(bool need, Shape shape) => need ? Tensor.Zeros(shape) : null;

    private static float* Ptr(Tensor? t) => t is null ? null : t.Data;
}
