using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

// The im2col half of the patch embedding (kernels/patch_embed.cu); the GEMM half is Linear (cuBLASLt).
internal sealed partial class CudaOps
{
    public Tensor Im2Col(Tensor pixels, int p)
    {
        RequireBf16("PatchEmbed", pixels);
        int n = pixels.Dim(0), c = pixels.Dim(1), h = pixels.Dim(2), w = pixels.Dim(3);
        var cols = Bf16Like(pixels, new Shape(n * (h / p) * (w / p), c * p * p));
        long total = cols.Numel;
        if (total > 0)
            _be.Launch("patch_embed", "patch_im2col", _be.Blocks(total), new KernelArgs().Ptr(P(pixels)).Ptr(P(cols)).Int(n).Int(c).Int(h).Int(w).Int(p));
        return cols;
    }

    public Tensor Im2ColBackward(Tensor g, Tensor pixels, int p)
    {
        RequireBf16("PatchEmbed backward", g);
        int n = pixels.Dim(0), c = pixels.Dim(1), h = pixels.Dim(2), w = pixels.Dim(3);
        long total = g.Numel;
        // pixels outside the patch grid get no gradient: start from zeros
        var gp = Tensor.ZerosOn(pixels.Device, pixels.Shape, DType.BF16);
        if (total > 0)
            _be.Launch("patch_embed", "patch_col2im", _be.Blocks(total), new KernelArgs().Ptr(P(g)).Ptr(P(gp)).Int(n).Int(c).Int(h).Int(w).Int(p));
        return gp;
    }
}
