// LayerNorm (SigLIP / CLIP vision towers): y = (x - mean) * rstd * w + b, fp32 math; saves mean and rstd per row.
// Geometry: blockDim.x a multiple of 32 (<= 1024); any grid size.
// Backward dynamic shared memory: 2 * dim * sizeof(float) bytes (partial weight and bias gradients).
#include "common.cuh"

extern "C" __global__ void layernorm_forward(const bf16* __restrict__ x, const bf16* __restrict__ w, const bf16* __restrict__ b,
                                             bf16* __restrict__ y, float* __restrict__ mean_out, float* __restrict__ rstd_out,
                                             int rows, int dim, float eps)
{
    for (int r = blockIdx.x; r < rows; r += gridDim.x)
    {
        const bf16* xr = x + (i64)r * dim;
        float s = 0.0f;
        for (int j = threadIdx.x; j < dim; j += blockDim.x) s += bf16_to_f32(xr[j]);
        const float mean = block_sum(s) / dim;
        // Two passes (mean, then centred squares) instead of E[x^2]-E[x]^2: no cancellation.
        float v = 0.0f;
        for (int j = threadIdx.x; j < dim; j += blockDim.x) { const float d = bf16_to_f32(xr[j]) - mean; v += d * d; }
        const float rstd = rsqrtf(block_sum(v) / dim + eps);
        if (threadIdx.x == 0)
        {
            if (mean_out) mean_out[r] = mean;
            if (rstd_out) rstd_out[r] = rstd;
        }
        for (int j = threadIdx.x; j < dim; j += blockDim.x)
        {
            const float xh = (bf16_to_f32(xr[j]) - mean) * rstd;
            y[(i64)r * dim + j] = f32_to_bf16(xh * bf16_to_f32(w[j]) + (b ? bf16_to_f32(b[j]) : 0.0f));
        }
    }
}

// xhat = (x - mean) * rstd, gxh = g * w:
// gx = rstd * (gxh - mean(gxh) - xhat * mean(gxh * xhat));  gw = sum g * xhat;  gb = sum g  (fp32).
// Each block writes its partial sums as its row of gw_parts / gb_parts ([gridDim.x, dim]; gb_parts may be null);
// weight_grad.cu's sum_partials_f32 adds them in block order (deterministic: no float atomics).
extern "C" __global__ void layernorm_backward(const bf16* __restrict__ gy, const bf16* __restrict__ x, const bf16* __restrict__ w,
                                              const float* __restrict__ mean_in, const float* __restrict__ rstd_in,
                                              bf16* __restrict__ gx, float* __restrict__ gw_parts, float* __restrict__ gb_parts,
                                              int rows, int dim)
{
    extern __shared__ float part[];
    float* gw_part = part;
    float* gb_part = part + dim;
    for (int j = threadIdx.x; j < dim; j += blockDim.x) { gw_part[j] = 0.0f; gb_part[j] = 0.0f; }
    for (int r = blockIdx.x; r < rows; r += gridDim.x)
    {
        const bf16* xr = x + (i64)r * dim;
        const bf16* gr = gy + (i64)r * dim;
        const float mean = mean_in[r], rstd = rstd_in[r];
        float s1 = 0.0f, s2 = 0.0f;
        for (int j = threadIdx.x; j < dim; j += blockDim.x)
        {
            const float xh = (bf16_to_f32(xr[j]) - mean) * rstd;
            const float gxh = bf16_to_f32(gr[j]) * bf16_to_f32(w[j]);
            s1 += gxh;
            s2 += gxh * xh;
        }
        s1 = block_sum(s1) / dim;
        s2 = block_sum(s2) / dim;
        for (int j = threadIdx.x; j < dim; j += blockDim.x)
        {
            const float g = bf16_to_f32(gr[j]);
            const float xh = (bf16_to_f32(xr[j]) - mean) * rstd;
            const float gxh = g * bf16_to_f32(w[j]);
            gx[(i64)r * dim + j] = f32_to_bf16(rstd * (gxh - s1 - xh * s2));
            gw_part[j] += g * xh;
            gb_part[j] += g;
        }
    }
    for (int j = threadIdx.x; j < dim; j += blockDim.x)
    {
        gw_parts[(i64)blockIdx.x * dim + j] = gw_part[j];
        if (gb_parts) gb_parts[(i64)blockIdx.x * dim + j] = gb_part[j];
    }
}
