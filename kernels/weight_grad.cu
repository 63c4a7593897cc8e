// The second half of a deterministic weight-gradient reduction (no float atomics): a kernel that reduces over many
// rows (rmsnorm_backward, layernorm_backward) writes one fp32 partial row per block, partials [parts, n]; this sums
// them in block order and adds the sum to out [n] (zeroed, or holding earlier gradients). Each thread owns whole
// columns, so every element sums the same values in the same order on every run: bit-identical results.
#include "common.cuh"

extern "C" __global__ void sum_partials_f32(const float* __restrict__ partials, int parts, i64 n, float* __restrict__ out)
{
    GRID_STRIDE(j, n)
    {
        float s = 0.0f;
        for (int b = 0; b < parts; b++) s += partials[(i64)b * n + j];
        out[j] += s;
    }
}
