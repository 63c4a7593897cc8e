// Shared helpers for every kernel. No CUDA toolkit header is included (CI compiles with a bare NVRTC that
// ships none): bf16 is carried as its raw 16 bits and converted with PTX / bit shifts, so the same source
// compiles on NVRTC 11.8, 12.x and 13.x and with nvcc.
#pragma once

typedef unsigned short bf16;   // raw bfloat16 bits
typedef long long i64;

#define MANTIS_INF (__int_as_float(0x7f800000))
#define MANTIS_FULL_MASK 0xffffffffu

// Grid-stride loop over [0, n): launch geometry is chosen in C#, any grid size is correct.
#define GRID_STRIDE(i, n) \
    for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)gridDim.x * blockDim.x)

// bf16 -> f32 is exact: the bf16 bits are the high half of the f32.
static __device__ __forceinline__ float bf16_to_f32(bf16 h) { return __uint_as_float(((unsigned int)h) << 16); }

// f32 -> bf16, round to nearest even, NaN preserved (hardware cvt, sm_80+).
static __device__ __forceinline__ bf16 f32_to_bf16(float f)
{
    unsigned short r;
    asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(r) : "f"(f));
    return r;
}

// Overloads so templates can read/write either element type with fp32 math.
static __device__ __forceinline__ float load_f32(const float* p, i64 i) { return p[i]; }
static __device__ __forceinline__ float load_f32(const bf16* p, i64 i) { return bf16_to_f32(p[i]); }
static __device__ __forceinline__ void store_f32(float* p, i64 i, float v) { p[i] = v; }
static __device__ __forceinline__ void store_f32(bf16* p, i64 i, float v) { p[i] = f32_to_bf16(v); }

static __device__ __forceinline__ float warp_sum(float v)
{
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(MANTIS_FULL_MASK, v, o);
    return v;
}

static __device__ __forceinline__ float warp_max(float v)
{
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(MANTIS_FULL_MASK, v, o));
    return v;
}

// Sum over the whole block (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
// The leading barrier makes back-to-back calls safe (the scratch is reused).
static __device__ inline float block_sum(float v)
{
    __shared__ float scratch[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0)
    {
        float t = lane < nwarps ? scratch[lane] : 0.0f;
        t = warp_sum(t);
        if (lane == 0) scratch[0] = t;
    }
    __syncthreads();
    return scratch[0];
}

static __device__ inline float block_max(float v)
{
    __shared__ float scratch[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0)
    {
        float t = lane < nwarps ? scratch[lane] : -MANTIS_INF;
        t = warp_max(t);
        if (lane == 0) scratch[0] = t;
    }
    __syncthreads();
    return scratch[0];
}

// Online log-sum-exp state (running max m, running sum s of exp(x - m)): merging two states is exact.
struct LseState { float m; float s; };

static __device__ __forceinline__ LseState lse_merge(LseState a, LseState b)
{
    const float m = fmaxf(a.m, b.m);
    if (m == -MANTIS_INF) return LseState{ -MANTIS_INF, 0.0f };
    return LseState{ m, a.s * __expf(a.m - m) + b.s * __expf(b.m - m) };
}

static __device__ __forceinline__ LseState lse_push(LseState a, float x)
{
    return lse_merge(a, LseState{ x, 1.0f });
}

static __device__ inline LseState block_lse(LseState st)
{
    __shared__ float sm[32];
    __shared__ float ss[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (blockDim.x + 31) >> 5;
    for (int o = 16; o > 0; o >>= 1)
    {
        LseState other{ __shfl_xor_sync(MANTIS_FULL_MASK, st.m, o), __shfl_xor_sync(MANTIS_FULL_MASK, st.s, o) };
        st = lse_merge(st, other);
    }
    __syncthreads();
    if (lane == 0) { sm[warp] = st.m; ss[warp] = st.s; }
    __syncthreads();
    if (warp == 0)
    {
        LseState t = lane < nwarps ? LseState{ sm[lane], ss[lane] } : LseState{ -MANTIS_INF, 0.0f };
        for (int o = 16; o > 0; o >>= 1)
        {
            LseState other{ __shfl_xor_sync(MANTIS_FULL_MASK, t.m, o), __shfl_xor_sync(MANTIS_FULL_MASK, t.s, o) };
            t = lse_merge(t, other);
        }
        if (lane == 0) { sm[0] = t.m; ss[0] = t.s; }
    }
    __syncthreads();
    return LseState{ sm[0], ss[0] };
}
