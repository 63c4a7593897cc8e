using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// Rotary embedding (kernels/rope.cu). The op's tables are per token row, so the kernel runs as batch 1 with
// null positions (position = row) over the F32 tables the caller placed on the device.
internal sealed partial class CudaOps
{
    public Tensor RopeForward(Tensor x, Tensor cos, Tensor sin) => Rope("rope_forward", x, cos, sin);

    public Tensor RopeBackward(Tensor g, Tensor cos, Tensor sin) => Rope("rope_backward", g, cos, sin);

    private Tensor Rope(string function, Tensor x, Tensor cos, Tensor sin)
    {
        RequireBf16("Rope", x);
        Require("Rope", cos, DType.F32, "the cos table");
        Require("Rope", sin, DType.F32, "the sin table");
        int dim = x.Dim(-1), heads = x.Dim(-2);
        int tokens = checked((int)(x.Numel / ((long)dim * heads)));
        var y = Bf16Like(x);
        long pairs = (long)tokens * heads * (dim / 2);
        if (pairs > 0)
            _be.Launch("rope", function, _be.Blocks(pairs),
                new KernelArgs().Ptr(P(x)).Ptr(P(y)).Ptr(P(cos)).Ptr(P(sin)).Ptr(0UL).Int(1).Int(tokens).Int(heads).Int(dim));
        return y;
    }
}
