// Data movement and small reductions the device op list needs beside the math kernels: permute (any rank up to
// 6), block copies for slice and concat, gradient accumulation in every F32/BF16 mix, fp32 scale, a SiLU, and a
// whole-tensor sum into one fp32 value. Simple and correct first: one thread per element, grid-stride loops.
// Elements are moved as raw 2-byte (bf16) or 4-byte (f32/i32) words, so the copies serve every dtype of that size.
#include "common.cuh"

// y[o] = x[sum_k idx_k * in_stride_k] where idx_k are the coordinates of o in the output dims d0..d5
// (unused trailing dims are 1 with stride 0). One template, two element sizes.
template <typename T>
static __device__ __forceinline__ void permute_impl(const T* __restrict__ x, T* __restrict__ y, i64 n,
                                                    int d0, int d1, int d2, int d3, int d4, int d5,
                                                    i64 s0, i64 s1, i64 s2, i64 s3, i64 s4, i64 s5)
{
    GRID_STRIDE(o, n)
    {
        i64 r = o;
        const i64 i5 = r % d5; r /= d5;
        const i64 i4 = r % d4; r /= d4;
        const i64 i3 = r % d3; r /= d3;
        const i64 i2 = r % d2; r /= d2;
        const i64 i1 = r % d1; r /= d1;
        const i64 i0 = r;
        (void)d0;
        y[o] = x[i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3 + i4 * s4 + i5 * s5];
    }
}

extern "C" __global__ void permute_2b(const unsigned short* x, unsigned short* y, i64 n, int d0, int d1, int d2, int d3, int d4, int d5,
                                      i64 s0, i64 s1, i64 s2, i64 s3, i64 s4, i64 s5)
{
    permute_impl(x, y, n, d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5);
}

extern "C" __global__ void permute_4b(const unsigned int* x, unsigned int* y, i64 n, int d0, int d1, int d2, int d3, int d4, int d5,
                                      i64 s0, i64 s1, i64 s2, i64 s3, i64 s4, i64 s5)
{
    permute_impl(x, y, n, d0, d1, d2, d3, d4, d5, s0, s1, s2, s3, s4, s5);
}

// Tensors viewed as [outer, dim, inner] that differ only in dim: for c < count,
// dst[o, dst_start + c, :] = src[o, src_start + c, :] (slice forward/backward, concat forward/backward).
template <typename T>
static __device__ __forceinline__ void copy_blocks_impl(const T* __restrict__ src, int src_dim, int src_start,
                                                        T* __restrict__ dst, int dst_dim, int dst_start,
                                                        int count, i64 outer, i64 inner)
{
    const i64 block = (i64)count * inner;
    GRID_STRIDE(i, outer * block)
    {
        const i64 o = i / block;
        const i64 rest = i - o * block;
        dst[(o * dst_dim + dst_start) * inner + rest] = src[(o * src_dim + src_start) * inner + rest];
    }
}

extern "C" __global__ void copy_blocks_2b(const unsigned short* src, int src_dim, int src_start, unsigned short* dst, int dst_dim,
                                          int dst_start, int count, i64 outer, i64 inner)
{
    copy_blocks_impl(src, src_dim, src_start, dst, dst_dim, dst_start, count, outer, inner);
}

extern "C" __global__ void copy_blocks_4b(const unsigned int* src, int src_dim, int src_start, unsigned int* dst, int dst_dim,
                                          int dst_start, int count, i64 outer, i64 inner)
{
    copy_blocks_impl(src, src_dim, src_start, dst, dst_dim, dst_start, count, outer, inner);
}

// acc += x in fp32 math, for each (acc, x) dtype pair (f32 += bf16 is accumulate_bf16_into_f32 in elementwise.cu).
extern "C" __global__ void accumulate_f32_into_f32(const float* __restrict__ x, float* __restrict__ acc, i64 n)
{
    GRID_STRIDE(i, n) acc[i] += x[i];
}

extern "C" __global__ void accumulate_bf16_into_bf16(const bf16* __restrict__ x, bf16* __restrict__ acc, i64 n)
{
    GRID_STRIDE(i, n) acc[i] = f32_to_bf16(bf16_to_f32(acc[i]) + bf16_to_f32(x[i]));
}

extern "C" __global__ void accumulate_f32_into_bf16(const float* __restrict__ x, bf16* __restrict__ acc, i64 n)
{
    GRID_STRIDE(i, n) acc[i] = f32_to_bf16(bf16_to_f32(acc[i]) + x[i]);
}

// y = alpha * x on fp32 (the loss scalar, fp32 master copies). In place allowed.
extern "C" __global__ void scale_f32(const float* x, float* y, float alpha, i64 n)
{
    GRID_STRIDE(i, n) y[i] = alpha * x[i];
}

// y = alpha * x[0] broadcast: the backward of a sum, whose gradient is one device scalar (no host round trip).
extern "C" __global__ void broadcast_scalar_f32_to_bf16(const float* __restrict__ x, bf16* __restrict__ y, float alpha, i64 n)
{
    const bf16 v = f32_to_bf16(alpha * x[0]);
    GRID_STRIDE(i, n) y[i] = v;
}

// out[0] = alpha * sum(x), one block, fp32 accumulation in a fixed order (deterministic).
extern "C" __global__ void sum_bf16_to_f32(const bf16* __restrict__ x, i64 n, float alpha, float* __restrict__ out)
{
    float s = 0.0f;
    for (i64 i = threadIdx.x; i < n; i += blockDim.x) s += bf16_to_f32(x[i]);
    s = block_sum(s);
    if (threadIdx.x == 0) out[0] = alpha * s;
}

extern "C" __global__ void sum_f32(const float* __restrict__ x, i64 n, float alpha, float* __restrict__ out)
{
    float s = 0.0f;
    for (i64 i = threadIdx.x; i < n; i += blockDim.x) s += x[i];
    s = block_sum(s);
    if (threadIdx.x == 0) out[0] = alpha * s;
}

// SiLU y = x * sigmoid(x) and its backward gx = gy * s * (1 + x (1 - s)).
extern "C" __global__ void silu_forward(const bf16* __restrict__ x, bf16* __restrict__ y, i64 n)
{
    GRID_STRIDE(i, n)
    {
        const float v = bf16_to_f32(x[i]);
        y[i] = f32_to_bf16(v / (1.0f + __expf(-v)));
    }
}

extern "C" __global__ void silu_backward(const bf16* __restrict__ gy, const bf16* __restrict__ x, bf16* __restrict__ gx, i64 n)
{
    GRID_STRIDE(i, n)
    {
        const float v = bf16_to_f32(x[i]);
        const float s = 1.0f / (1.0f + __expf(-v));
        gx[i] = f32_to_bf16(bf16_to_f32(gy[i]) * s * (1.0f + v * (1.0f - s)));
    }
}

// mul of a and b with a scalar b held on the device as fp32 (gradient of Mul by a scalar, scaled loss).
extern "C" __global__ void mul_bf16_by_f32_scalar(const bf16* __restrict__ a, const float* __restrict__ b, bf16* __restrict__ y, i64 n)
{
    const float s = b[0];
    GRID_STRIDE(i, n) y[i] = f32_to_bf16(bf16_to_f32(a[i]) * s);
}
