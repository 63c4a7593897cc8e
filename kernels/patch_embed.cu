// Patch embedding (the ViT stem, a conv with kernel = stride = patch) as im2col + GEMM through cuBLASLt:
//   cols[n_images * gh * gw, C * P * P] = im2col(pixels[n_images, C, H, W])   (gh = H / P, gw = W / P)
//   out[n_patches, D] = cols @ weight[D, C*P*P]^T + bias                        (GEMM in C#, bias via add_bf16)
// Column order (c, ky, kx) matches the flattened conv weight [D, C, P, P], so HF weights are used unchanged.
// Backward: g_weight = g_out^T @ cols and g_bias = column sums of g_out (GEMM and add_backward_broadcast_bf16);
// patches do not overlap, so no col2im is needed for the weights. The pixel gradient (rarely needed: pixels
// are inputs) is the inverse permutation, patch_col2im.
#include "common.cuh"

extern "C" __global__ void patch_im2col(const bf16* __restrict__ pixels, bf16* __restrict__ cols,
                                        int n_images, int channels, int height, int width, int patch)
{
    const int gh = height / patch, gw = width / patch;
    const i64 row_len = (i64)channels * patch * patch;
    const i64 n = (i64)n_images * gh * gw * row_len;
    GRID_STRIDE(i, n)
    {
        const i64 prow = i / row_len;              // patch index: (image, py, px)
        const int k = (int)(i - prow * row_len);   // (c, ky, kx)
        const int c = k / (patch * patch);
        const int ky = (k / patch) % patch;
        const int kx = k % patch;
        const int img = (int)(prow / ((i64)gh * gw));
        const int pidx = (int)(prow - (i64)img * gh * gw);
        const int py = pidx / gw, px = pidx % gw;
        cols[i] = pixels[(((i64)img * channels + c) * height + py * patch + ky) * width + px * patch + kx];
    }
}

// Inverse of patch_im2col (pixels outside the patch grid, when H or W is not a multiple of P, are left as they are).
extern "C" __global__ void patch_col2im(const bf16* __restrict__ cols, bf16* __restrict__ pixels,
                                        int n_images, int channels, int height, int width, int patch)
{
    const int gh = height / patch, gw = width / patch;
    const i64 row_len = (i64)channels * patch * patch;
    const i64 n = (i64)n_images * gh * gw * row_len;
    GRID_STRIDE(i, n)
    {
        const i64 prow = i / row_len;
        const int k = (int)(i - prow * row_len);
        const int c = k / (patch * patch);
        const int ky = (k / patch) % patch;
        const int kx = k % patch;
        const int img = (int)(prow / ((i64)gh * gw));
        const int pidx = (int)(prow - (i64)img * gh * gw);
        const int py = pidx / gw, px = pidx % gw;
        pixels[(((i64)img * channels + c) * height + py * patch + ky) * width + px * patch + kx] = cols[i];
    }
}
