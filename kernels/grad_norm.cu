// Global gradient L2 norm over many tensors, deterministic (no float atomics):
//   1. grad_sumsq_partial_*: grid (blocks_per_tensor, n_tensors); each block reduces its grid-stride share of
//      tensor blockIdx.y and writes partials[tensor * gridDim.x + blockIdx.x];
//   2. grad_norm_finalize: one block sums the partials per tensor (in double) and in total; writes
//      per_tensor_sumsq[t] (optional, may be null), total_sumsq[0] and norm[0].
// The clip coefficient min(1, max_norm / (norm + 1e-6)) is then passed to AdamW as grad_scale.
#include "common.cuh"

template <typename G>
static __device__ __forceinline__ void sumsq_partial(const i64* __restrict__ sizes, const G* const* __restrict__ grads,
                                                     float* __restrict__ partials)
{
    const int t = blockIdx.y;
    const i64 n = sizes[t];
    const G* g = grads[t];
    float s = 0.0f;
    GRID_STRIDE(i, n) { const float v = load_f32(g, i); s += v * v; }
    s = block_sum(s);
    if (threadIdx.x == 0) partials[(i64)t * gridDim.x + blockIdx.x] = s;
}

extern "C" __global__ void grad_sumsq_partial_bf16(const i64* sizes, const bf16* const* grads, float* partials)
{
    sumsq_partial<bf16>(sizes, grads, partials);
}

extern "C" __global__ void grad_sumsq_partial_f32(const i64* sizes, const float* const* grads, float* partials)
{
    sumsq_partial<float>(sizes, grads, partials);
}

extern "C" __global__ void grad_norm_finalize(const float* __restrict__ partials, int n_tensors, int blocks_per_tensor,
                                              float* __restrict__ per_tensor_sumsq, float* __restrict__ total_sumsq,
                                              float* __restrict__ norm)
{
    __shared__ double scratch[32];
    double total = 0.0;
    for (int t = threadIdx.x; t < n_tensors; t += blockDim.x)
    {
        double s = 0.0;
        for (int b = 0; b < blocks_per_tensor; b++) s += partials[(i64)t * blocks_per_tensor + b];
        if (per_tensor_sumsq) per_tensor_sumsq[t] = (float)s;
        total += s;
    }
    for (int o = 16; o > 0; o >>= 1) total += __shfl_xor_sync(MANTIS_FULL_MASK, total, o);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
    if (lane == 0) scratch[warp] = total;
    __syncthreads();
    if (threadIdx.x == 0)
    {
        double s = 0.0;
        for (int w = 0; w < nwarps; w++) s += scratch[w];
        total_sumsq[0] = (float)s;
        norm[0] = (float)sqrt(s);
    }
}
