using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// Add, Mul, Scale and Sum on the device (kernels/elementwise.cu, kernels/tensor_ops.cu).
internal sealed partial class CudaOps
{
    /// <summary>a + b with b the trailing <paramref name="inner"/> elements of a's shape (1 = scalar).</summary>
    public Tensor Add(Tensor a, Tensor b, long inner)
    {
        RequireBf16("Add", a, b);
        long n = a.Numel;
        var y = Bf16Like(a);
        if (n > 0) _be.Launch("elementwise", "add_bf16", _be.Blocks(n), new KernelArgs().Ptr(P(a)).Ptr(P(b)).Ptr(P(y)).Long(n).Long(Math.Max(1, inner)));
        return y;
    }

    public Tensor SumLeading(Tensor g, Shape shape, long inner)
    {
        long n = g.Numel;
        if (inner == n) return g.View(shape);
        RequireBf16("Add backward", g);
        var gb = Tensor.EmptyOn(g.Device, shape, DType.BF16);
        _be.Launch("elementwise", "add_backward_broadcast_bf16", _be.Blocks(inner), new KernelArgs().Ptr(P(g)).Ptr(P(gb)).Long(n).Long(inner));
        return gb;
    }

    /// <summary>a * b elementwise, b broadcast as in <see cref="Add"/>.</summary>
    public Tensor Mul(Tensor a, Tensor b, long inner)
    {
        RequireBf16("Mul", a, b);
        long n = a.Numel;
        var y = Bf16Like(a);
        if (n > 0) _be.Launch("elementwise", "mul_bf16", _be.Blocks(n), new KernelArgs().Ptr(P(a)).Ptr(P(b)).Ptr(P(y)).Long(n).Long(Math.Max(1, inner)));
        return y;
    }

    public Tensor MulBackwardBroadcast(Tensor g, Tensor a, Shape shape, long inner)
    {
        RequireBf16("Mul backward", g, a);
        long n = a.Numel;
        var gb = Tensor.EmptyOn(g.Device, shape, DType.BF16);
        if (inner == n)
            _be.Launch("elementwise", "mul_bf16", _be.Blocks(n), new KernelArgs().Ptr(P(g)).Ptr(P(a)).Ptr(P(gb)).Long(n).Long(n));
        else
            _be.Launch("elementwise", "mul_backward_broadcast_bf16", _be.Blocks(inner),
                new KernelArgs().Ptr(P(g)).Ptr(P(a)).Ptr(P(gb)).Long(n).Long(inner));
        return gb;
    }

    /// <summary>x * s (BF16 activations or an F32 scalar such as the loss).</summary>
    public Tensor Scale(Tensor x, float s)
    {
        if (x.DType is not (DType.BF16 or DType.F32)) RequireBf16("Scale", x);
        var y = Tensor.EmptyOn(x.Device, x.Shape, x.DType);
        long n = x.Numel;
        if (n == 0) return y;
        bool f32 = x.DType == DType.F32;
        _be.Launch(f32 ? "tensor_ops" : "elementwise", f32 ? "scale_f32" : "scale_bf16", _be.Blocks(n),
            new KernelArgs().Ptr(P(x)).Ptr(P(y)).Float(s).Long(n));
        return y;
    }

    /// <summary>Sum of all elements as an F32 scalar on the device (one block, fixed order: deterministic).</summary>
    public Tensor Sum(Tensor x)
    {
        if (x.DType is not (DType.BF16 or DType.F32)) RequireBf16("Sum", x);
        var y = EmptyF32(x, new Shape());
        _be.Launch("tensor_ops", x.DType == DType.F32 ? "sum_f32" : "sum_bf16_to_f32", 1,
            new KernelArgs().Ptr(P(x)).Long(x.Numel).Float(1f).Ptr(P(y)), threads: 1024);
        return y;
    }

    public Tensor SumBackward(Tensor g, Tensor like)
    {
        RequireBf16("Sum backward", like);
        Require("Sum backward", g, DType.F32, "the gradient of the sum");
        var gx = Bf16Like(like);
        if (like.Numel > 0)
            _be.Launch("tensor_ops", "broadcast_scalar_f32_to_bf16", _be.Blocks(like.Numel),
                new KernelArgs().Ptr(P(g)).Ptr(P(gx)).Float(1f).Long(like.Numel));
        return gx;
    }
}
