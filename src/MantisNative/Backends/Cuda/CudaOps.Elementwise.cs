using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// Add, Mul, Scale and Sum on the device (kernels/elementwise.cu, kernels/tensor_ops.cu).
public static partial class CudaOps
{
    /// <summary>a + b with b the trailing <paramref name="inner"/> elements of a's shape (1 = scalar).</summary>
    public static Tensor Add(Tensor a, Tensor b, long inner)
    {
        RequireBf16("Add", a, b);
        var be = Be(a);
        long n = a.Numel;
        var y = Bf16Like(a);
        if (n > 0) be.Launch("elementwise", "add_bf16", be.Blocks(n), new KernelArgs().Ptr(P(a)).Ptr(P(b)).Ptr(P(y)).Long(n).Long(inner));
        if (Tape.Needs(a, b))
            Record(y, g =>
            {
                if (a.RequiresGrad) a.AccumulateGrad(g);
                if (!b.RequiresGrad) return;
                if (inner == n) { b.AccumulateGrad(g.View(b.Shape)); return; }
                using var gb = Bf16Like(b);
                be.Launch("elementwise", "add_backward_broadcast_bf16", be.Blocks(inner), new KernelArgs().Ptr(P(g)).Ptr(P(gb)).Long(n).Long(inner));
                b.AccumulateGrad(gb);
            });
        return y;
    }

    /// <summary>a * b elementwise, b broadcast as in <see cref="Add"/>.</summary>
    public static Tensor Mul(Tensor a, Tensor b, long inner)
    {
        RequireBf16("Mul", a, b);
        var be = Be(a);
        long n = a.Numel;
        var y = Bf16Like(a);
        if (n > 0) be.Launch("elementwise", "mul_bf16", be.Blocks(n), new KernelArgs().Ptr(P(a)).Ptr(P(b)).Ptr(P(y)).Long(n).Long(inner));
        if (Tape.Needs(a, b))
            Record(y, g =>
            {
                if (a.RequiresGrad)
                {
                    using var ga = Bf16Like(a);
                    be.Launch("elementwise", "mul_bf16", be.Blocks(n), new KernelArgs().Ptr(P(g)).Ptr(P(b)).Ptr(P(ga)).Long(n).Long(inner));
                    a.AccumulateGrad(ga);
                }
                if (b.RequiresGrad)
                {
                    using var gb = Bf16Like(b);
                    if (inner == n)
                        be.Launch("elementwise", "mul_bf16", be.Blocks(n), new KernelArgs().Ptr(P(g)).Ptr(P(a)).Ptr(P(gb)).Long(n).Long(n));
                    else
                        be.Launch("elementwise", "mul_backward_broadcast_bf16", be.Blocks(inner),
                            new KernelArgs().Ptr(P(g)).Ptr(P(a)).Ptr(P(gb)).Long(n).Long(inner));
                    b.AccumulateGrad(gb);
                }
            });
        return y;
    }

    /// <summary>x * s (BF16 activations or an F32 scalar such as the loss).</summary>
    public static Tensor Scale(Tensor x, float s)
    {
        if (x.DType is not (DType.BF16 or DType.F32)) RequireBf16("Scale", x);
        var y = Tensor.EmptyOn(x.Device, x.Shape, x.DType);
        ScaleInto(x, y, s);
        if (Tape.Needs(x))
            Record(y, g =>
            {
                using var gx = Tensor.EmptyOn(g.Device, g.Shape, g.DType);
                ScaleInto(g, gx, s);
                x.AccumulateGrad(gx);
            });
        return y;
    }

    private static void ScaleInto(Tensor x, Tensor y, float s)
    {
        long n = x.Numel;
        if (n == 0) return;
        var be = Be(x);
        bool f32 = x.DType == DType.F32;
        be.Launch(f32 ? "tensor_ops" : "elementwise", f32 ? "scale_f32" : "scale_bf16", be.Blocks(n),
            new KernelArgs().Ptr(P(x)).Ptr(P(y)).Float(s).Long(n));
    }

    /// <summary>Sum of all elements as an F32 scalar on the device (one block, fixed order: deterministic).</summary>
    public static Tensor Sum(Tensor x)
    {
        if (x.DType is not (DType.BF16 or DType.F32)) RequireBf16("Sum", x);
        var be = Be(x);
        var y = EmptyF32(x, new Shape());
        be.Launch("tensor_ops", x.DType == DType.F32 ? "sum_f32" : "sum_bf16_to_f32", 1,
            new KernelArgs().Ptr(P(x)).Long(x.Numel).Float(1f).Ptr(P(y)), threads: 1024);
        if (Tape.Needs(x))
            Record(y, g =>
            {
                RequireBf16("Sum backward", x);
                using var gx = Bf16Like(x);
                if (x.Numel > 0)
                    be.Launch("tensor_ops", "broadcast_scalar_f32_to_bf16", be.Blocks(x.Numel),
                        new KernelArgs().Ptr(P(g)).Ptr(P(gx)).Float(1f).Long(x.Numel));
                x.AccumulateGrad(gx);
            });
        return y;
    }
}
