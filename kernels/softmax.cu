// Softmax over the last dim (rows of length cols), fp32 math. y = softmax(scale * x).
// Geometry: one block per row (blocks walk rows with a stride), blockDim.x a multiple of 32 (<= 1024).
// The max and the sum come from one online pass (LseState), then one pass writes y.
#include "common.cuh"

extern "C" __global__ void softmax_forward(const bf16* __restrict__ x, bf16* __restrict__ y, int rows, int cols, float scale)
{
    for (int r = blockIdx.x; r < rows; r += gridDim.x)
    {
        const bf16* xr = x + (i64)r * cols;
        LseState st{ -MANTIS_INF, 0.0f };
        for (int j = threadIdx.x; j < cols; j += blockDim.x) st = lse_push(st, scale * bf16_to_f32(xr[j]));
        st = block_lse(st);
        const float inv = st.s > 0.0f ? 1.0f / st.s : 0.0f;
        for (int j = threadIdx.x; j < cols; j += blockDim.x)
            y[(i64)r * cols + j] = st.m == -MANTIS_INF ? (bf16)0   // an all -inf row gives zeros, not NaN
                                 : f32_to_bf16(__expf(scale * bf16_to_f32(xr[j]) - st.m) * inv);
    }
}

// gx = scale * y * (gy - sum(gy * y)) from the saved output y.
extern "C" __global__ void softmax_backward(const bf16* __restrict__ gy, const bf16* __restrict__ y, bf16* __restrict__ gx,
                                            int rows, int cols, float scale)
{
    for (int r = blockIdx.x; r < rows; r += gridDim.x)
    {
        const i64 base = (i64)r * cols;
        float dot = 0.0f;
        for (int j = threadIdx.x; j < cols; j += blockDim.x) dot += bf16_to_f32(gy[base + j]) * bf16_to_f32(y[base + j]);
        dot = block_sum(dot);
        for (int j = threadIdx.x; j < cols; j += blockDim.x)
            gx[base + j] = f32_to_bf16(scale * bf16_to_f32(y[base + j]) * (bf16_to_f32(gy[base + j]) - dot));
    }
}
