// Fused RMSNorm (Llama): y = x / sqrt(mean(x^2) + eps) * w, rows of length dim, fp32 math.
// Forward saves rstd per row (fp32) for the backward.
// Geometry: blockDim.x a multiple of 32 (<= 1024); any grid size (blocks walk rows with a stride).
// Backward dynamic shared memory: dim * sizeof(float) bytes (each block's partial weight gradient).
// Backward weight gradient: each block writes its partial row to gw_parts [gridDim.x, dim]; weight_grad.cu's
// sum_partials_f32 then adds them in block order (deterministic: no float atomics).
#include "common.cuh"

extern "C" __global__ void rmsnorm_forward(const bf16* __restrict__ x, const bf16* __restrict__ w, bf16* __restrict__ y,
                                           float* __restrict__ rstd_out, int rows, int dim, float eps)
{
    for (int r = blockIdx.x; r < rows; r += gridDim.x)
    {
        const bf16* xr = x + (i64)r * dim;
        bf16* yr = y + (i64)r * dim;
        float ss = 0.0f;
        for (int j = threadIdx.x; j < dim; j += blockDim.x) { const float v = bf16_to_f32(xr[j]); ss += v * v; }
        ss = block_sum(ss);
        const float rstd = rsqrtf(ss / dim + eps);
        if (threadIdx.x == 0 && rstd_out) rstd_out[r] = rstd;
        for (int j = threadIdx.x; j < dim; j += blockDim.x)
            yr[j] = f32_to_bf16(bf16_to_f32(xr[j]) * rstd * bf16_to_f32(w[j]));
    }
}

// gx = rstd * (g*w) - x * rstd^3 * mean(g*w*x);  gw = sum over rows of g * x * rstd.
// Each block sums its rows in shared memory and writes them as its row of gw_parts (fp32 [gridDim.x, dim]).
extern "C" __global__ void rmsnorm_backward(const bf16* __restrict__ gy, const bf16* __restrict__ x, const bf16* __restrict__ w,
                                            const float* __restrict__ rstd_in, bf16* __restrict__ gx, float* __restrict__ gw_parts,
                                            int rows, int dim)
{
    extern __shared__ float gw_part[];
    for (int j = threadIdx.x; j < dim; j += blockDim.x) gw_part[j] = 0.0f;
    // gw_part is written only by the thread owning column j below, so no barrier is needed before use.
    for (int r = blockIdx.x; r < rows; r += gridDim.x)
    {
        const bf16* xr = x + (i64)r * dim;
        const bf16* gr = gy + (i64)r * dim;
        const float rstd = rstd_in[r];
        float dot = 0.0f;
        for (int j = threadIdx.x; j < dim; j += blockDim.x)
            dot += bf16_to_f32(gr[j]) * bf16_to_f32(w[j]) * bf16_to_f32(xr[j]);
        dot = block_sum(dot) / dim;
        const float c = dot * rstd * rstd * rstd;
        for (int j = threadIdx.x; j < dim; j += blockDim.x)
        {
            const float g = bf16_to_f32(gr[j]), xv = bf16_to_f32(xr[j]);
            gx[(i64)r * dim + j] = f32_to_bf16(rstd * g * bf16_to_f32(w[j]) - xv * c);
            gw_part[j] += g * xv * rstd;
        }
    }
    for (int j = threadIdx.x; j < dim; j += blockDim.x) gw_parts[(i64)blockIdx.x * dim + j] = gw_part[j];
}
