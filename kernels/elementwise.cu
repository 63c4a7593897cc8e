// Elementwise add / mul / scale on bf16 with fp32 math, and their backward reductions.
// Broadcasting: b has the shape of the trailing dims of a, i.e. nb elements with n % nb == 0, and
// b is read at i % nb (nb == n is the plain elementwise case; nb == 1 is a scalar tensor).
#include "common.cuh"

extern "C" __global__ void add_bf16(const bf16* __restrict__ a, const bf16* __restrict__ b, bf16* __restrict__ y, i64 n, i64 nb)
{
    GRID_STRIDE(i, n) y[i] = f32_to_bf16(bf16_to_f32(a[i]) + bf16_to_f32(b[i % nb]));
}

extern "C" __global__ void mul_bf16(const bf16* __restrict__ a, const bf16* __restrict__ b, bf16* __restrict__ y, i64 n, i64 nb)
{
    GRID_STRIDE(i, n) y[i] = f32_to_bf16(bf16_to_f32(a[i]) * bf16_to_f32(b[i % nb]));
}

// y = alpha * x (backward is the same kernel with the same alpha). In place (x == y) is allowed.
extern "C" __global__ void scale_bf16(const bf16* x, bf16* y, float alpha, i64 n)
{
    GRID_STRIDE(i, n) y[i] = f32_to_bf16(alpha * bf16_to_f32(x[i]));
}

// acc += x in fp32 (gradient accumulation into an fp32 buffer).
extern "C" __global__ void accumulate_bf16_into_f32(const bf16* __restrict__ x, float* __restrict__ acc, i64 n)
{
    GRID_STRIDE(i, n) acc[i] += bf16_to_f32(x[i]);
}

// Backward of add for the broadcast operand: gb[j] = sum over rows r of gy[r * nb + j] (fp32 sum).
// Thread j walks the rows, so neighbouring threads read neighbouring elements (coalesced).
extern "C" __global__ void add_backward_broadcast_bf16(const bf16* __restrict__ gy, bf16* __restrict__ gb, i64 n, i64 nb)
{
    const i64 rows = n / nb;
    GRID_STRIDE(j, nb)
    {
        float s = 0.0f;
        for (i64 r = 0; r < rows; r++) s += bf16_to_f32(gy[r * nb + j]);
        gb[j] = f32_to_bf16(s);
    }
}

// Backward of mul for the broadcast operand: gb[j] = sum_r gy[r*nb+j] * a[r*nb+j].
// (The gradient of a is mul_bf16(gy, b), the forward kernel.)
extern "C" __global__ void mul_backward_broadcast_bf16(const bf16* __restrict__ gy, const bf16* __restrict__ a,
                                                       bf16* __restrict__ gb, i64 n, i64 nb)
{
    const i64 rows = n / nb;
    GRID_STRIDE(j, nb)
    {
        float s = 0.0f;
        for (i64 r = 0; r < rows; r++) s += bf16_to_f32(gy[r * nb + j]) * bf16_to_f32(a[r * nb + j]);
        gb[j] = f32_to_bf16(s);
    }
}
