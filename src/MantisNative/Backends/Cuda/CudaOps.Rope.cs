using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// Rotary embedding (kernels/rope.cu). Token row t reads table row t % period, which is the kernel with null positions
// (position = index within the sequence) run as batch tokens / period of sequences of length period: period = tokens
// is a table row per token, period = the sequence length a decoder's device-resident table by position.
internal sealed partial class CudaOps
{
    public Tensor RopeForward(Tensor x, Tensor cos, Tensor sin, int period) => Rope("rope_forward", x, cos, sin, period);

    public Tensor RopeBackward(Tensor g, Tensor cos, Tensor sin, int period) => Rope("rope_backward", g, cos, sin, period);

    private Tensor Rope(string function, Tensor x, Tensor cos, Tensor sin, int period)
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
                new KernelArgs().Ptr(P(x)).Ptr(P(y)).Ptr(P(cos)).Ptr(P(sin)).Ptr(0UL).Int(tokens / period).Int(period).Int(heads).Int(dim));
        return y;
    }
}
