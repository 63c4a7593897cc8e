// Fused multi-tensor AdamW with fp32 master weights, fp32 moments and an optional bf16 copy of the weights
// (what the forward pass reads). One launch updates every tensor: the pointer arrays (device memory, one entry
// per tensor) are built in C#; blockIdx.y picks the tensor, blocks along x walk its elements with a stride.
// Decoupled weight decay (AdamW, as torch.optim.AdamW):
//   p -= lr * wd * p;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)
// with bc1 = 1 - b1^t, bc2 = 1 - b2^t computed on the host (t = step number, from 1), and g = grad * grad_scale
// (grad_scale carries gradient clipping or loss-scale undo; 1 otherwise). lr is an argument, so schedules need
// no recompilation. params_bf16[t] may be null (no bf16 copy for that tensor).
#include "common.cuh"

template <typename G>
static __device__ __forceinline__ void adamw_impl(const i64* __restrict__ sizes, float* const* __restrict__ params,
                                                  bf16* const* __restrict__ params_bf16, const G* const* __restrict__ grads,
                                                  float* const* __restrict__ exp_avg, float* const* __restrict__ exp_avg_sq,
                                                  float lr, float beta1, float beta2, float eps, float weight_decay,
                                                  float bias_correction1, float bias_correction2, float grad_scale)
{
    const int t = blockIdx.y;
    const i64 n = sizes[t];
    float* p = params[t];
    bf16* pb = params_bf16[t];
    const G* g = grads[t];
    float* m = exp_avg[t];
    float* v = exp_avg_sq[t];
    const float inv_bc2_sqrt = rsqrtf(bias_correction2);
    const float step = lr / bias_correction1;
    GRID_STRIDE(i, n)
    {
        const float gi = load_f32(g, i) * grad_scale;
        float pi = p[i];
        pi -= lr * weight_decay * pi;
        const float mi = beta1 * m[i] + (1.0f - beta1) * gi;
        const float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        pi -= step * mi / (sqrtf(vi) * inv_bc2_sqrt + eps);
        m[i] = mi;
        v[i] = vi;
        p[i] = pi;
        if (pb) pb[i] = f32_to_bf16(pi);
    }
}

extern "C" __global__ void adamw_multi_tensor_bf16_grad(const i64* sizes, float* const* params, bf16* const* params_bf16,
                                                        const bf16* const* grads, float* const* exp_avg, float* const* exp_avg_sq,
                                                        float lr, float beta1, float beta2, float eps, float weight_decay,
                                                        float bias_correction1, float bias_correction2, float grad_scale)
{
    adamw_impl<bf16>(sizes, params, params_bf16, grads, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
                     bias_correction1, bias_correction2, grad_scale);
}

extern "C" __global__ void adamw_multi_tensor_f32_grad(const i64* sizes, float* const* params, bf16* const* params_bf16,
                                                       const float* const* grads, float* const* exp_avg, float* const* exp_avg_sq,
                                                       float lr, float beta1, float beta2, float eps, float weight_decay,
                                                       float bias_correction1, float bias_correction2, float grad_scale)
{
    adamw_impl<float>(sizes, params, params_bf16, grads, exp_avg, exp_avg_sq, lr, beta1, beta2, eps, weight_decay,
                      bias_correction1, bias_correction2, grad_scale);
}

// ---------------------------------------------------------------------------------------------------------------
// Compressed moments (Backends/MomentCodec.cs is the CPU twin of every helper below, line by line). The update is
// the CPU primitive's fp32 arithmetic in the same order (decay as w *= 1 - lr wd, denominator sqrt(v) / sqrt(bc2)
// + eps), so the emulated device agrees with the CPU to fp32 rounding of identical operations.

// murmur3's finalizer
static __device__ __forceinline__ unsigned int mix32(unsigned int h)
{
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

// 32 random bits of (seed, stream, step, index): MomentCodec.RandomBits
static __device__ __forceinline__ unsigned int sr_bits(unsigned int seed, unsigned int stream, int step, i64 index)
{
    const unsigned int h = mix32(seed ^ mix32(stream + 0x9E3779B9u * (unsigned int)step));
    return mix32(h ^ (unsigned int)index ^ mix32((unsigned int)((unsigned long long)index >> 32) + 0x85EBCA6Bu));
}

// f32 -> bf16 with stochastic rounding (16 random bits added below the kept bits, then truncated); non-finite: RNE.
// MomentCodec.StochasticBf16
static __device__ __forceinline__ bf16 f32_to_bf16_stochastic(float x, unsigned int random16)
{
    const unsigned int u = __float_as_uint(x);
    if ((u & 0x7F800000u) == 0x7F800000u) return f32_to_bf16(x);
    return (bf16)(((u + (random16 & 0xFFFFu)) & 0xFFFF0000u) >> 16);
}

// index of the nearest map entry (256 sorted floats), ties to the lower index: MomentCodec.QuantizeNearest
static __device__ __forceinline__ unsigned char quantize_nearest(float x, const float* map)
{
    int lo = 0, hi = 255;
    while (lo < hi)
    {
        const int mid = (lo + hi) >> 1;
        if (map[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    if (lo > 0 && x - map[lo - 1] <= map[lo] - x) lo--;
    return (unsigned char)lo;
}

struct AdamWScalars
{
    float step_size, bc2_sqrt, b1, b2, one_minus_b1, one_minus_b2, eps, decay, grad_scale;
    int decays;
    unsigned int seed;
    int step;
};

// the step's scalars as the CPU primitive casts them from double (CudaOps.AdamW passes each one, 1 - beta included)
static __device__ __forceinline__ AdamWScalars make_scalars(float step_size, float bc2_sqrt, float b1, float b2, float one_minus_b1,
                                                            float one_minus_b2, float eps, float decay, int decays, float grad_scale,
                                                            unsigned int seed, int step)
{
    AdamWScalars k;
    k.step_size = step_size; k.bc2_sqrt = bc2_sqrt; k.b1 = b1; k.b2 = b2; k.one_minus_b1 = one_minus_b1; k.one_minus_b2 = one_minus_b2;
    k.eps = eps; k.decay = decay; k.decays = decays; k.grad_scale = grad_scale; k.seed = seed; k.step = step;
    return k;
}

static __device__ __forceinline__ float adamw_apply(const AdamWScalars& k, float w, float m, float v)
{
    const float denom = sqrtf(v) / k.bc2_sqrt + k.eps;
    return w + -k.step_size * (m / denom);
}

static __device__ __forceinline__ float adamw_grad(const AdamWScalars& k, float g) { return k.grad_scale == 1.0f ? g : g * k.grad_scale; }

// bf16 moments, stochastically rounded; streams[t] keys tensor t's draws (MomentCodec.StreamOf of its name)
template <typename G>
static __device__ __forceinline__ void adamw_bf16_impl(const i64* __restrict__ sizes, float* const* __restrict__ params,
                                                       bf16* const* __restrict__ params_bf16, const G* const* __restrict__ grads,
                                                       bf16* const* __restrict__ exp_avg, bf16* const* __restrict__ exp_avg_sq,
                                                       const unsigned int* __restrict__ streams, const AdamWScalars k)
{
    const int t = blockIdx.y;
    const i64 n = sizes[t];
    float* p = params[t];
    bf16* pb = params_bf16[t];
    const G* g = grads[t];
    bf16* m = exp_avg[t];
    bf16* v = exp_avg_sq[t];
    const unsigned int stream = streams[t];
    GRID_STRIDE(i, n)
    {
        const float gi = adamw_grad(k, load_f32(g, i));
        float wi = p[i];
        if (k.decays) wi *= k.decay;
        const float mi = bf16_to_f32(m[i]) * k.b1 + gi * k.one_minus_b1;
        const float vi = bf16_to_f32(v[i]) * k.b2 + gi * gi * k.one_minus_b2;
        wi = adamw_apply(k, wi, mi, vi);
        const unsigned int r = sr_bits(k.seed, stream, k.step, i);
        m[i] = f32_to_bf16_stochastic(mi, r & 0xFFFFu);
        v[i] = f32_to_bf16_stochastic(vi, r >> 16);
        p[i] = wi;
        if (pb) pb[i] = f32_to_bf16(wi);
    }
}

extern "C" __global__ void adamw_bf16_states_bf16_grad(const i64* sizes, float* const* params, bf16* const* params_bf16,
                                                       const bf16* const* grads, bf16* const* exp_avg, bf16* const* exp_avg_sq,
                                                       const unsigned int* streams,
    float step_size, float bc2_sqrt, float b1, float b2, float one_minus_b1, float one_minus_b2, float eps, float decay, int decays, float grad_scale, unsigned int seed, int step)
{
    const AdamWScalars k = make_scalars(step_size, bc2_sqrt, b1, b2, one_minus_b1, one_minus_b2, eps, decay, decays, grad_scale, seed, step);
    adamw_bf16_impl<bf16>(sizes, params, params_bf16, grads, exp_avg, exp_avg_sq, streams, k);
}

extern "C" __global__ void adamw_bf16_states_f32_grad(const i64* sizes, float* const* params, bf16* const* params_bf16,
                                                      const float* const* grads, bf16* const* exp_avg, bf16* const* exp_avg_sq,
                                                      const unsigned int* streams,
    float step_size, float bc2_sqrt, float b1, float b2, float one_minus_b1, float one_minus_b2, float eps, float decay, int decays, float grad_scale, unsigned int seed, int step)
{
    const AdamWScalars k = make_scalars(step_size, bc2_sqrt, b1, b2, one_minus_b1, one_minus_b2, eps, decay, decays, grad_scale, seed, step);
    adamw_bf16_impl<float>(sizes, params, params_bf16, grads, exp_avg, exp_avg_sq, streams, k);
}

// 8-bit blockwise moments: one block of 256 threads per absmax block of 256 values (blocks along x stride over them,
// blockIdx.y picks the tensor). maps: the signed (m) then the unsigned (v) dynamic map, 512 floats.
#define ADAMW_QBLOCK 256

template <typename G>
static __device__ __forceinline__ void adamw_8bit_impl(const i64* __restrict__ sizes, float* const* __restrict__ params,
                                                       bf16* const* __restrict__ params_bf16, const G* const* __restrict__ grads,
                                                       unsigned char* const* __restrict__ exp_avg, unsigned char* const* __restrict__ exp_avg_sq,
                                                       float* const* __restrict__ absmax_avg, float* const* __restrict__ absmax_avg_sq,
                                                       const float* __restrict__ maps, const AdamWScalars k)
{
    __shared__ float smap[256];
    __shared__ float umap[256];
    smap[threadIdx.x] = maps[threadIdx.x];
    umap[threadIdx.x] = maps[256 + threadIdx.x];
    __syncthreads();
    const int t = blockIdx.y;
    const i64 n = sizes[t];
    const i64 blocks = (n + ADAMW_QBLOCK - 1) / ADAMW_QBLOCK;
    float* p = params[t];
    bf16* pb = params_bf16[t];
    const G* g = grads[t];
    unsigned char* m = exp_avg[t];
    unsigned char* v = exp_avg_sq[t];
    float* sm = absmax_avg[t];
    float* sv = absmax_avg_sq[t];
    for (i64 b = blockIdx.x; b < blocks; b += gridDim.x)   // uniform over the block: the barriers below are safe
    {
        const i64 i = b * ADAMW_QBLOCK + threadIdx.x;
        const bool in = i < n;
        const float old_m = sm[b], old_v = sv[b];
        float mi = 0.0f, vi = 0.0f;
        if (in)
        {
            const float gi = adamw_grad(k, load_f32(g, i));
            float wi = p[i];
            if (k.decays) wi *= k.decay;
            mi = smap[m[i]] * old_m * k.b1 + gi * k.one_minus_b1;
            vi = umap[v[i]] * old_v * k.b2 + gi * gi * k.one_minus_b2;
            wi = adamw_apply(k, wi, mi, vi);
            p[i] = wi;
            if (pb) pb[i] = f32_to_bf16(wi);
        }
        // max is exact in any order: the new absmax equals the CPU's sequential one
        const float max_m = block_max(fabsf(mi));
        const float max_v = block_max(vi);
        const float inv_m = max_m > 0.0f ? 1.0f / max_m : 0.0f, inv_v = max_v > 0.0f ? 1.0f / max_v : 0.0f;
        if (in)
        {
            m[i] = quantize_nearest(mi * inv_m, smap);
            v[i] = quantize_nearest(vi * inv_v, umap);
        }
        __syncthreads();   // every thread read sm[b] / sv[b] before they are rewritten
        if (threadIdx.x == 0) { sm[b] = max_m; sv[b] = max_v; }
    }
}

extern "C" __global__ void adamw_8bit_states_bf16_grad(const i64* sizes, float* const* params, bf16* const* params_bf16,
                                                       const bf16* const* grads, unsigned char* const* exp_avg, unsigned char* const* exp_avg_sq,
                                                       float* const* absmax_avg, float* const* absmax_avg_sq, const float* maps,
    float step_size, float bc2_sqrt, float b1, float b2, float one_minus_b1, float one_minus_b2, float eps, float decay, int decays, float grad_scale, unsigned int seed, int step)
{
    const AdamWScalars k = make_scalars(step_size, bc2_sqrt, b1, b2, one_minus_b1, one_minus_b2, eps, decay, decays, grad_scale, seed, step);
    adamw_8bit_impl<bf16>(sizes, params, params_bf16, grads, exp_avg, exp_avg_sq, absmax_avg, absmax_avg_sq, maps, k);
}

extern "C" __global__ void adamw_8bit_states_f32_grad(const i64* sizes, float* const* params, bf16* const* params_bf16,
                                                      const float* const* grads, unsigned char* const* exp_avg, unsigned char* const* exp_avg_sq,
                                                      float* const* absmax_avg, float* const* absmax_avg_sq, const float* maps,
    float step_size, float bc2_sqrt, float b1, float b2, float one_minus_b1, float one_minus_b2, float eps, float decay, int decays, float grad_scale, unsigned int seed, int step)
{
    const AdamWScalars k = make_scalars(step_size, bc2_sqrt, b1, b2, one_minus_b1, one_minus_b2, eps, decay, decays, grad_scale, seed, step);
    adamw_8bit_impl<float>(sizes, params, params_bf16, grads, exp_avg, exp_avg_sq, absmax_avg, absmax_avg_sq, maps, k);
}
