// Casts between f32 and bf16, and plain copies. Element counts are 64-bit; any grid size is correct.
#include "common.cuh"

extern "C" __global__ void cast_f32_to_bf16(const float* __restrict__ x, bf16* __restrict__ y, i64 n)
{
    GRID_STRIDE(i, n) y[i] = f32_to_bf16(x[i]);
}

extern "C" __global__ void cast_bf16_to_f32(const bf16* __restrict__ x, float* __restrict__ y, i64 n)
{
    GRID_STRIDE(i, n) y[i] = bf16_to_f32(x[i]);
}

extern "C" __global__ void copy_bf16(const bf16* __restrict__ x, bf16* __restrict__ y, i64 n)
{
    GRID_STRIDE(i, n) y[i] = x[i];
}

extern "C" __global__ void copy_f32(const float* __restrict__ x, float* __restrict__ y, i64 n)
{
    GRID_STRIDE(i, n) y[i] = x[i];
}

// Fills with a value (memset only does bit patterns; -inf or 1.0 need this).
extern "C" __global__ void fill_f32(float* __restrict__ y, float value, i64 n)
{
    GRID_STRIDE(i, n) y[i] = value;
}

extern "C" __global__ void fill_bf16(bf16* __restrict__ y, float value, i64 n)
{
    const bf16 v = f32_to_bf16(value);
    GRID_STRIDE(i, n) y[i] = v;
}
