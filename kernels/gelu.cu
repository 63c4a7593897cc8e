// GELU variants used by the vision towers and projectors, forward and backward, fp32 math:
//   erf   (exact):  x * Phi(x),                   Phi(x) = 0.5 * (1 + erf(x / sqrt 2))
//   tanh  (approx): 0.5 x (1 + tanh(u)),          u = sqrt(2/pi) (x + 0.044715 x^3)   ("gelu_pytorch_tanh")
//   quick:          x * sigmoid(1.702 x)                                               (CLIP "quick_gelu")
#include "common.cuh"

#define GELU_KERNELS(NAME, FWD, BWD)                                                                      \
    extern "C" __global__ void NAME##_forward(const bf16* __restrict__ x, bf16* __restrict__ y, i64 n)   \
    {                                                                                                     \
        GRID_STRIDE(i, n) y[i] = f32_to_bf16(FWD(bf16_to_f32(x[i])));                                     \
    }                                                                                                     \
    extern "C" __global__ void NAME##_backward(const bf16* __restrict__ gy, const bf16* __restrict__ x,  \
                                               bf16* __restrict__ gx, i64 n)                              \
    {                                                                                                     \
        GRID_STRIDE(i, n) gx[i] = f32_to_bf16(bf16_to_f32(gy[i]) * BWD(bf16_to_f32(x[i])));              \
    }

static __device__ __forceinline__ float gelu_erf_f(float x) { return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); }
static __device__ __forceinline__ float gelu_erf_d(float x)
{
    const float cdf = 0.5f * (1.0f + erff(x * 0.70710678118654752f));
    const float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
    return cdf + x * pdf;
}

static __device__ __forceinline__ float gelu_tanh_f(float x)
{
    const float u = 0.79788456080286536f * (x + 0.044715f * x * x * x);
    return 0.5f * x * (1.0f + tanhf(u));
}
static __device__ __forceinline__ float gelu_tanh_d(float x)
{
    const float u = 0.79788456080286536f * (x + 0.044715f * x * x * x);
    const float t = tanhf(u);
    const float du = 0.79788456080286536f * (1.0f + 3.0f * 0.044715f * x * x);
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
}

static __device__ __forceinline__ float gelu_quick_f(float x) { return x / (1.0f + __expf(-1.702f * x)); }
static __device__ __forceinline__ float gelu_quick_d(float x)
{
    const float s = 1.0f / (1.0f + __expf(-1.702f * x));
    return s + 1.702f * x * s * (1.0f - s);
}

GELU_KERNELS(gelu_erf, gelu_erf_f, gelu_erf_d)
GELU_KERNELS(gelu_tanh, gelu_tanh_f, gelu_tanh_d)
GELU_KERNELS(gelu_quick, gelu_quick_f, gelu_quick_d)
