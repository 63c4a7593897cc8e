using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// The op list on a CUDA device: each function launches the forward kernels on the device's stream and, when an
/// input requires grad, records a backward on the same tape that launches the backward kernels. Called by
/// <c>Autograd.Ops</c> once it has checked that every input is on one device. Activations and weights are BF16
/// (fp32 math inside the kernels); scalar losses, norms' statistics and leaf gradients are F32.
/// </summary>
public static partial class CudaOps
{
    private static CudaBackend Be(Tensor t) => CudaBackend.Get(t.Device);

    private static void RequireBf16(string op, params Tensor?[] ts)
    {
        foreach (var t in ts)
            if (t is not null && t.DType != DType.BF16)
                throw new MantisException($"{op} on {t.Device} takes BF16 tensors; {t.Name ?? t.Shape.ToString()} is {t.DType} " +
                                          "(move tensors with To(device), which converts floating tensors to BF16)");
    }

    private static Tensor Bf16Like(Tensor like, Shape? shape = null) => Tensor.EmptyOn(like.Device, shape ?? like.Shape, DType.BF16);
    private static Tensor ZerosF32(Tensor like, Shape? shape = null) => Tensor.ZerosOn(like.Device, shape ?? like.Shape, DType.F32);
    private static Tensor EmptyF32(Tensor like, Shape shape) => Tensor.EmptyOn(like.Device, shape, DType.F32);

    private static ulong P(Tensor? t) => t?.DevicePointer ?? 0UL;

    /// <summary>Small host arrays (ids, tables, masks) on the device, for one op.</summary>
    private static Tensor Ints(Tensor like, int[] values)
    {
        using var host = Tensor.FromBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()), DType.I32, new Shape(values.Length));
        return host.To(like.Device, DType.I32);
    }

    private static Tensor Floats(Tensor like, float[] values)
    {
        using var host = Tensor.FromArray(values, values.Length);
        return host.To(like.Device, DType.F32);
    }

    private static Tensor Bytes(Tensor like, bool[] values, int rows, int cols)
    {
        var b = new byte[values.Length];
        for (int i = 0; i < b.Length; i++) b[i] = values[i] ? (byte)1 : (byte)0;
        using var host = Tensor.FromBytes(b, DType.U8, new Shape(rows, cols));
        return host.To(like.Device, DType.U8);
    }

    /// <summary>Records a backward on the current tape (the same tape CPU ops use).</summary>
    private static void Record(Tensor y, Action<Tensor> backward) => Autograd.Tape.Record(y, backward);
}
