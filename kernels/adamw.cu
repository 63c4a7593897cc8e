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
