// Attention: a tiled online-softmax ("flash"-style) kernel, forward and backward. Correct first, not yet fast
// (fp32 FMAs from shared memory, no tensor cores; speed is a later issue).
//
// Layouts (no transposes around the projections):
//   q, o, dq32: [batch, seq_q, heads, D]        k, v, dk32, dv32: [batch, seq_k, kv_heads, D]
//   lse, delta: [batch, heads, seq_q] fp32      (lse = log-sum-exp of the scaled, masked scores of each row)
// Grouped-query heads: query head h reads kv head h / (heads / kv_heads) (kv_heads divides heads).
// Masks (all optional, combined):
//   causal: query i sees keys j <= i + (seq_k - seq_q)  (bottom-right aligned, so a decode step with a KV cache works);
//   kv_lens: int32 [batch], keys j >= kv_lens[b] are padding;   key_mask: uint8 [batch, seq_k], 0 = padding.
// A row that sees no key gets o = 0 and lse = -inf, and no gradient.
// Head dims 8, 16, 24 (the tiny default's vision tower), 32, 64, 72, 80 and 128 are template instances with their own entry points (attention_forward_d64, ...).
//
// Forward geometry: grid (ceil(seq_q / 16), batch * heads), block 128 threads; static shared memory.
// Backward: 1. attention_backward_delta: delta = rowsum(o * do), one warp per row, any grid;
//           2. attention_backward_dNN: grid (ceil(seq_k / 32), batch * heads), block 128 threads, dynamic shared
//              memory ATT_BWD_SMEM_BYTES(D) = (4 * 32 * (D + 1) + 2 * 4 * D) * 4 bytes (more than 48 KiB for D = 128:
//              the launcher raises CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES). dq32, dk32, dv32 are fp32 and
//              accumulated with atomics (zero them first; several query heads share a kv head); cast to bf16 after.
#include "common.cuh"

#define ATT_WARPS 4
#define ATT_ROWS 4                       // query rows per warp in the forward
#define ATT_BR (ATT_WARPS * ATT_ROWS)    // query rows per forward block
#define ATT_BC 32                        // keys per tile: one per lane

static __device__ __forceinline__ bool att_key_ok(int kj, int b, int seq_k, int kv_len, const unsigned char* key_mask)
{
    return kj < kv_len && (key_mask == nullptr || key_mask[(i64)b * seq_k + kj] != 0);
}

template <int D>
static __device__ __forceinline__ void attention_forward_impl(
    const bf16* __restrict__ q, const bf16* __restrict__ k, const bf16* __restrict__ v, bf16* __restrict__ o,
    float* __restrict__ lse, int heads, int kv_heads, int seq_q, int seq_k, float scale, int causal,
    const int* __restrict__ kv_lens, const unsigned char* __restrict__ key_mask)
{
    constexpr int DL = (D + 31) / 32;    // elements of a D-vector per lane
    __shared__ float ks[ATT_BC][D + 1];  // +1: lane j reads row j, odd stride = no bank conflicts
    __shared__ float vs[ATT_BC][D];
    __shared__ float qs[ATT_BR][D];

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int b = blockIdx.y / heads, h = blockIdx.y % heads, hk = h / (heads / kv_heads);
    const int q0 = blockIdx.x * ATT_BR;
    const int kv_len = kv_lens ? min(kv_lens[b], seq_k) : seq_k;
    const int offset = seq_k - seq_q;

    for (int idx = threadIdx.x; idx < ATT_BR * D; idx += blockDim.x)
    {
        const int r = idx / D, d = idx % D, qi = q0 + r;
        qs[r][d] = qi < seq_q ? bf16_to_f32(q[(((i64)b * seq_q + qi) * heads + h) * D + d]) : 0.0f;
    }

    float m[ATT_ROWS], l[ATT_ROWS], acc[ATT_ROWS][DL];
#pragma unroll
    for (int r = 0; r < ATT_ROWS; r++)
    {
        m[r] = -MANTIS_INF;
        l[r] = 0.0f;
#pragma unroll
        for (int e = 0; e < DL; e++) acc[r][e] = 0.0f;
    }

    int k_end = kv_len;
    if (causal) k_end = min(k_end, min(q0 + ATT_BR, seq_q) + offset);   // last query row of the block sees up to here
    for (int k0 = 0; k0 < k_end; k0 += ATT_BC)
    {
        __syncthreads();   // previous tile fully used (and qs written, on the first pass)
        for (int idx = threadIdx.x; idx < ATT_BC * D; idx += blockDim.x)
        {
            const int j = idx / D, d = idx % D, kj = k0 + j;
            const i64 src = (((i64)b * seq_k + kj) * kv_heads + hk) * D + d;
            ks[j][d] = kj < seq_k ? bf16_to_f32(k[src]) : 0.0f;
            vs[j][d] = kj < seq_k ? bf16_to_f32(v[src]) : 0.0f;
        }
        __syncthreads();
        const int kj = k0 + lane;
        const bool key_ok = att_key_ok(kj, b, seq_k, kv_len, key_mask);
#pragma unroll
        for (int r = 0; r < ATT_ROWS; r++)
        {
            const int rr = warp * ATT_ROWS + r, qi = q0 + rr;
            if (qi >= seq_q) continue;   // warp-uniform
            float s = 0.0f;
#pragma unroll 8
            for (int d = 0; d < D; d++) s += qs[rr][d] * ks[lane][d];
            const bool ok = key_ok && (!causal || kj <= qi + offset);
            s = ok ? s * scale : -MANTIS_INF;
            const float m_new = fmaxf(m[r], warp_max(s));
            if (m_new == -MANTIS_INF) continue;   // nothing visible yet for this row (warp-uniform)
            const float p = ok ? __expf(s - m_new) : 0.0f;
            const float alpha = __expf(m[r] - m_new);
            l[r] = l[r] * alpha + warp_sum(p);
            m[r] = m_new;
#pragma unroll
            for (int e = 0; e < DL; e++) acc[r][e] *= alpha;
#pragma unroll 4
            for (int j = 0; j < ATT_BC; j++)
            {
                const float pj = __shfl_sync(MANTIS_FULL_MASK, p, j);
#pragma unroll
                for (int e = 0; e < DL; e++)
                {
                    const int d = lane + 32 * e;
                    if (d < D) acc[r][e] += pj * vs[j][d];
                }
            }
        }
    }

#pragma unroll
    for (int r = 0; r < ATT_ROWS; r++)
    {
        const int qi = q0 + warp * ATT_ROWS + r;
        if (qi >= seq_q) continue;
        const float inv = l[r] != 0.0f ? 1.0f / l[r] : 0.0f;
#pragma unroll
        for (int e = 0; e < DL; e++)
        {
            const int d = lane + 32 * e;
            if (d < D) o[(((i64)b * seq_q + qi) * heads + h) * D + d] = f32_to_bf16(acc[r][e] * inv);
        }
        if (lane == 0) lse[((i64)b * heads + h) * seq_q + qi] = l[r] != 0.0f ? m[r] + logf(l[r]) : -MANTIS_INF;
    }
}

// delta[b, h, i] = sum_d o[b, i, h, d] * do[b, i, h, d]; one warp per row, rows walked with a stride.
extern "C" __global__ void attention_backward_delta(const bf16* __restrict__ o, const bf16* __restrict__ dout, float* __restrict__ delta,
                                                   int batch, int heads, int seq_q, int head_dim)
{
    const int lane = threadIdx.x & 31;
    const i64 warps = (i64)gridDim.x * (blockDim.x >> 5);
    const i64 rows = (i64)batch * heads * seq_q;
    for (i64 row = (i64)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); row < rows; row += warps)
    {
        // row = (b * heads + h) * seq_q + i
        const i64 bh = row / seq_q;
        const int i = (int)(row - bh * seq_q);
        const int b = (int)(bh / heads), h = (int)(bh % heads);
        const i64 base = (((i64)b * seq_q + i) * heads + h) * head_dim;
        float s = 0.0f;
        for (int d = lane; d < head_dim; d += 32) s += bf16_to_f32(o[base + d]) * bf16_to_f32(dout[base + d]);
        s = warp_sum(s);
        if (lane == 0) delta[row] = s;
    }
}

template <int D>
static __device__ __forceinline__ void attention_backward_impl(
    const bf16* __restrict__ q, const bf16* __restrict__ k, const bf16* __restrict__ v, const bf16* __restrict__ dout,
    const float* __restrict__ lse, const float* __restrict__ delta,
    float* __restrict__ dq32, float* __restrict__ dk32, float* __restrict__ dv32,
    int heads, int kv_heads, int seq_q, int seq_k, float scale, int causal,
    const int* __restrict__ kv_lens, const unsigned char* __restrict__ key_mask)
{
    constexpr int DL = (D + 31) / 32;
    constexpr int DP = D + 1;
    extern __shared__ float smem[];
    float* ks = smem;                          // [32][D+1]
    float* vs = ks + ATT_BC * DP;              // [32][D+1]
    float* dks = vs + ATT_BC * DP;             // [32][D+1] block's dK partial
    float* dvs = dks + ATT_BC * DP;            // [32][D+1] block's dV partial
    float* qw = dvs + ATT_BC * DP;             // [warps][D] the warp's current query row
    float* dow = qw + ATT_WARPS * D;           // [warps][D] the warp's current dO row

    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int b = blockIdx.y / heads, h = blockIdx.y % heads, hk = h / (heads / kv_heads);
    const int k0 = blockIdx.x * ATT_BC;
    const int kv_len = kv_lens ? min(kv_lens[b], seq_k) : seq_k;
    const int offset = seq_k - seq_q;
    if (k0 >= kv_len) return;   // the whole tile is padding: no gradient (block-uniform, before any barrier)

    for (int idx = threadIdx.x; idx < ATT_BC * D; idx += blockDim.x)
    {
        const int j = idx / D, d = idx % D, kj = k0 + j;
        const i64 src = (((i64)b * seq_k + kj) * kv_heads + hk) * D + d;
        ks[j * DP + d] = kj < seq_k ? bf16_to_f32(k[src]) : 0.0f;
        vs[j * DP + d] = kj < seq_k ? bf16_to_f32(v[src]) : 0.0f;
        dks[j * DP + d] = 0.0f;
        dvs[j * DP + d] = 0.0f;
    }
    __syncthreads();

    const int kj = k0 + lane;
    const bool key_ok = att_key_ok(kj, b, seq_k, kv_len, key_mask);
    float* qr = qw + warp * D;
    float* dor = dow + warp * D;
    const int i_start = causal ? max(0, k0 - offset) : 0;   // earlier rows see none of this tile's keys
    for (int i = i_start + warp; i < seq_q; i += ATT_WARPS)
    {
        const i64 row = ((i64)b * heads + h) * seq_q + i;
        const float lse_i = lse[row];
        if (lse_i == -MANTIS_INF) continue;   // the row saw no key (warp-uniform)
        const float delta_i = delta[row];
        const i64 qbase = (((i64)b * seq_q + i) * heads + h) * D;
        __syncwarp();
        for (int d = lane; d < D; d += 32) { qr[d] = bf16_to_f32(q[qbase + d]); dor[d] = bf16_to_f32(dout[qbase + d]); }
        __syncwarp();

        float s = 0.0f, dp = 0.0f;
#pragma unroll 8
        for (int d = 0; d < D; d++) { s += qr[d] * ks[lane * DP + d]; dp += dor[d] * vs[lane * DP + d]; }
        const bool ok = key_ok && (!causal || kj <= i + offset);
        const float p = ok ? __expf(s * scale - lse_i) : 0.0f;
        const float ds = p * (dp - delta_i);   // dS; dScore = ds * scale
        if (p != 0.0f)
        {
            const float dss = ds * scale;
            for (int d = 0; d < D; d++)
            {
                atomicAdd(&dvs[lane * DP + d], p * dor[d]);
                atomicAdd(&dks[lane * DP + d], dss * qr[d]);
            }
        }
#pragma unroll
        for (int e = 0; e < DL; e++)
        {
            const int d = lane + 32 * e;
            float a = 0.0f;
#pragma unroll 4
            for (int j = 0; j < ATT_BC; j++)
            {
                const float dsj = __shfl_sync(MANTIS_FULL_MASK, ds, j);
                if (d < D) a += dsj * ks[j * DP + d];
            }
            if (d < D) atomicAdd(&dq32[qbase + d], a * scale);
        }
    }
    __syncthreads();
    for (int idx = threadIdx.x; idx < ATT_BC * D; idx += blockDim.x)
    {
        const int j = idx / D, d = idx % D, kjj = k0 + j;
        if (kjj >= seq_k) continue;
        const i64 dst = (((i64)b * seq_k + kjj) * kv_heads + hk) * D + d;
        atomicAdd(&dk32[dst], dks[j * DP + d]);
        atomicAdd(&dv32[dst], dvs[j * DP + d]);
    }
}

#define ATTENTION_ENTRY_POINTS(D)                                                                                     \
    extern "C" __global__ void __launch_bounds__(ATT_WARPS * 32) attention_forward_d##D(                              \
        const bf16* q, const bf16* k, const bf16* v, bf16* o, float* lse, int heads, int kv_heads, int seq_q,         \
        int seq_k, float scale, int causal, const int* kv_lens, const unsigned char* key_mask)                         \
    {                                                                                                                 \
        attention_forward_impl<D>(q, k, v, o, lse, heads, kv_heads, seq_q, seq_k, scale, causal, kv_lens, key_mask); \
    }                                                                                                                 \
    extern "C" __global__ void __launch_bounds__(ATT_WARPS * 32) attention_backward_d##D(                             \
        const bf16* q, const bf16* k, const bf16* v, const bf16* dout, const float* lse, const float* delta,          \
        float* dq32, float* dk32, float* dv32, int heads, int kv_heads, int seq_q, int seq_k, float scale, int causal, \
        const int* kv_lens, const unsigned char* key_mask)                                                            \
    {                                                                                                                 \
        attention_backward_impl<D>(q, k, v, dout, lse, delta, dq32, dk32, dv32, heads, kv_heads, seq_q, seq_k, scale, \
                                   causal, kv_lens, key_mask);                                                        \
    }

// 8, 16 and 32: the head dims of the tiny fixture models (the code is generic over D; lanes d >= D idle).
ATTENTION_ENTRY_POINTS(8)
ATTENTION_ENTRY_POINTS(16)
ATTENTION_ENTRY_POINTS(24)
ATTENTION_ENTRY_POINTS(32)
ATTENTION_ENTRY_POINTS(64)
ATTENTION_ENTRY_POINTS(72)
ATTENTION_ENTRY_POINTS(80)
ATTENTION_ENTRY_POINTS(128)
