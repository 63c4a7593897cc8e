using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// Rotary embedding (kernels/rope.cu). The op's tables are per token row, so the kernel runs as batch 1 with
// null positions (position = row) over the tables uploaded for this call.
public static partial class CudaOps
{
    public static Tensor Rope(Tensor x, float[] cos, float[] sin, int tokens, int heads, int dim)
    {
        RequireBf16("Rope", x);
        var be = Be(x);
        var y = Bf16Like(x);
        var c = Floats(x, cos);
        var s = Floats(x, sin);
        long pairs = (long)tokens * heads * (dim / 2);
        void Run(string fn, Tensor src, Tensor dst)
        {
            if (pairs > 0)
                be.Launch("rope", fn, be.Blocks(pairs),
                    new KernelArgs().Ptr(P(src)).Ptr(P(dst)).Ptr(P(c)).Ptr(P(s)).Ptr(0UL).Int(1).Int(tokens).Int(heads).Int(dim));
        }
        Run("rope_forward", x, y);
        if (!Tape.Needs(x)) { c.Dispose(); s.Dispose(); return y; }
        Record(y, g =>
        {
            using var gx = Bf16Like(x);
            Run("rope_backward", g, gx);
            x.AccumulateGrad(gx);
        });
        return y;
    }
}
