// Rotary position embedding, Llama "rotate half" convention: for i < half = head_dim / 2,
//   y[i]        = x[i] * cos(p, i) - x[i + half] * sin(p, i)
//   y[i + half] = x[i + half] * cos(p, i) + x[i] * sin(p, i)
// Layout: x and y are [batch, seq, heads, head_dim] (the q/k projection output, no transpose needed).
// cos and sin are fp32 tables [max_positions, half], precomputed on the host (theta, scaling, all in C#).
// positions: int32 [batch, seq] (for a KV cache or packed sequences), or null for position = s.
// The backward is the inverse rotation (sin negated): the same code with sign = -1.
// In place (x == y) is allowed: each thread reads its pair before writing it.
#include "common.cuh"

static __device__ __forceinline__ void rope_apply(const bf16* x, bf16* y, const float* __restrict__ cos_t, const float* __restrict__ sin_t,
                                                  const int* __restrict__ positions, int batch, int seq, int heads, int head_dim,
                                                  float sign)
{
    const int half = head_dim / 2;
    const i64 pairs = (i64)batch * seq * heads * half;
    GRID_STRIDE(i, pairs)
    {
        const int k = (int)(i % half);
        const i64 row = i / half;                // (b, s, h) flattened
        const i64 bs = row / heads;              // (b, s) flattened
        const int pos = positions ? positions[bs] : (int)(bs % seq);
        const float c = cos_t[(i64)pos * half + k];
        const float s = sign * sin_t[(i64)pos * half + k];
        const i64 base = row * head_dim;
        const float x1 = bf16_to_f32(x[base + k]);
        const float x2 = bf16_to_f32(x[base + k + half]);
        y[base + k] = f32_to_bf16(x1 * c - x2 * s);
        y[base + k + half] = f32_to_bf16(x2 * c + x1 * s);
    }
}

extern "C" __global__ void rope_forward(const bf16* x, bf16* y, const float* cos_t, const float* sin_t, const int* positions,
                                        int batch, int seq, int heads, int head_dim)
{
    rope_apply(x, y, cos_t, sin_t, positions, batch, seq, heads, head_dim, 1.0f);
}

extern "C" __global__ void rope_backward(const bf16* gy, bf16* gx, const float* cos_t, const float* sin_t, const int* positions,
                                         int batch, int seq, int heads, int head_dim)
{
    rope_apply(gy, gx, cos_t, sin_t, positions, batch, seq, heads, head_dim, -1.0f);
}
