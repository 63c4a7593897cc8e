using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// The im2col half of the patch embedding (kernels/patch_embed.cu); the GEMM half is Linear (cuBLASLt).
public static partial class CudaOps
{
    public static Tensor Im2Col(Tensor pixels, int p)
    {
        RequireBf16("PatchEmbed", pixels);
        var be = Be(pixels);
        int n = pixels.Dim(0), c = pixels.Dim(1), h = pixels.Dim(2), w = pixels.Dim(3);
        var cols = Bf16Like(pixels, new Shape(n * (h / p) * (w / p), c * p * p));
        long total = cols.Numel;
        if (total > 0)
            be.Launch("patch_embed", "patch_im2col", be.Blocks(total), new KernelArgs().Ptr(P(pixels)).Ptr(P(cols)).Int(n).Int(c).Int(h).Int(w).Int(p));
        if (Tape.Needs(pixels))
            Record(cols, g =>
            {
                // pixels outside the patch grid get no gradient: start from zeros
                using var gp = Tensor.ZerosOn(pixels.Device, pixels.Shape, DType.BF16);
                if (total > 0)
                    be.Launch("patch_embed", "patch_col2im", be.Blocks(total), new KernelArgs().Ptr(P(g)).Ptr(P(gp)).Int(n).Int(c).Int(h).Int(w).Int(p));
                pixels.AccumulateGrad(gp);
            });
        return cols;
    }
}
