// Fused SwiGLU (Llama MLP): y = silu(gate) * up, silu(g) = g * sigmoid(g). fp32 math, bf16 in and out.
// Backward: g_gate = gy * up * sigmoid(g) * (1 + g * (1 - sigmoid(g))),  g_up = gy * silu(g).
#include "common.cuh"

static __device__ __forceinline__ float sigmoidf_(float x) { return 1.0f / (1.0f + __expf(-x)); }

extern "C" __global__ void swiglu_forward(const bf16* __restrict__ gate, const bf16* __restrict__ up, bf16* __restrict__ y, i64 n)
{
    GRID_STRIDE(i, n)
    {
        const float g = bf16_to_f32(gate[i]);
        y[i] = f32_to_bf16(g * sigmoidf_(g) * bf16_to_f32(up[i]));
    }
}

extern "C" __global__ void swiglu_backward(const bf16* __restrict__ gy, const bf16* __restrict__ gate, const bf16* __restrict__ up,
                                           bf16* __restrict__ g_gate, bf16* __restrict__ g_up, i64 n)
{
    GRID_STRIDE(i, n)
    {
        const float g = bf16_to_f32(gate[i]), u = bf16_to_f32(up[i]), dy = bf16_to_f32(gy[i]);
        const float s = sigmoidf_(g);
        g_gate[i] = f32_to_bf16(dy * u * s * (1.0f + g * (1.0f - s)));
        g_up[i] = f32_to_bf16(dy * g * s);
    }
}
