// Flash attention on sm_80+ tensor cores (the FlashAttention-2 design): bf16 mma.sync m16n8k16 with f32
// accumulation, operands from bf16 shared memory by ldmatrix, K/V tiles double-buffered by cp.async, one warp per
// 16 query rows, the online softmax on the accumulator fragments, the log-sum-exp saved for the backward.
//
// Layout: any strides (elements) for batch, token and head, head_dim contiguous; q, o, do, dq share one set
// (qs_b, qs_t, qs_h), k, v, dk, dv another (ks_b, ks_t, ks_h), so [B, T, H, D] and [B, H, T, D] are read in place.
// Rows must be 16-byte aligned (strides multiples of 8, 16-byte aligned pointers): the launcher checks.
// lse, delta: f32 [batch, heads, seq_q]. Grouped-query heads: query head h reads kv head h / (heads / kv_heads).
// Masks (combined): causal, bottom-right aligned: query i sees keys j <= i + seq_k - seq_q (as transformers);
// kv_lens int32 [batch] (keys j >= kv_lens[b] are padding); key_mask uint8 [batch, seq_k], 0 = padding.
// A row that sees no key gets o = 0, lse = -inf and no gradient.
//
// Head dims: any multiple of 8 up to 128 as a template; entry points for 8, 16, 24, 32, 64, 72, 80, 96, 128.
// Head dim 72 is first-class, not padded: Q.K^T runs 4 k-steps of mma.m16n8k16 plus one of mma.m16n8k8, P.V
// runs 9 n-tiles of 8 (the last pair loaded by ldmatrix.x2). Shared rows are D bf16 when D/8 is odd (72: 144 B,
// the 8 rows of an ldmatrix hit 8 different 16-byte bank groups) and D + 8 otherwise, so ldmatrix never conflicts.
//
// Kernels (geometry in src/MantisNative/Backends/Cuda/FlashAttentionLaunch.cs, which mirrors the constants here):
//   flash_fwd_dD        grid (ceil(seq_q / 64), batch * heads), 128 threads, dynamic smem FA_FWD_SMEM(D)
//   flash_bwd_delta     delta = rowsum(o * do), one warp per row, any grid
//   flash_bwd_dkdv_dD   grid (ceil(seq_k / 64), batch * kv_heads), 128 threads: a warp owns 16 keys and keeps
//                       their dK, dV in registers over every query tile of every query head of its group, so
//                       grouped heads are summed in order, without atomics; f32 out
//   flash_bwd_dq_dD     grid (ceil(seq_q / 64), batch * heads), 128 threads: dQ by its own pass (S and dP are
//                       recomputed per key tile), deterministic; f32 out
//   flash_decode_dD     split-KV decode, one query token: grid (splits, batch * kv_heads), 128 threads; the
//                       group's query heads are the 16 rows of the mma (G = heads / kv_heads <= 16); each split
//                       writes a normalized partial o (f32 [splits, batch, heads, D]) and its lse
//   flash_decode_combine merges the splits: grid (batch * heads), 128 threads
#include "mma_sm80.cuh"

#define FA_WARPS 4
#define FA_THREADS (FA_WARPS * 32)
#define FA_BQ 64        // query rows per forward / dQ block (16 per warp)
#define FA_BK 64        // keys per forward / decode tile, keys per dK-dV block (16 per warp)
#define FA_BQ_BWD 32    // query rows per tile in the dK-dV pass
#define FA_BK_DQ 32     // keys per tile in the dQ pass
#define FA_LOG2E 1.4426950408889634f
#define FA_LN2 0.6931471805599453f

template <int D>
struct FaDims
{
    static_assert(D % 8 == 0 && D >= 8 && D <= 128, "head dim: a multiple of 8 up to 128");
    static constexpr int KS = D / 16;                         // k16 steps over D
    static constexpr bool K8 = (D % 16) != 0;                 // plus one k8 step
    static constexpr int NT = D / 8;                          // n-tiles of 8 over D
    static constexpr int SD = (D / 8) % 2 ? D : D + 8;        // shared row stride (elements): an odd number of 16 B
    static constexpr int AF = KS * 4 + (K8 ? 2 : 0);          // A-fragment registers of a 16 x D row block
};

// Byte sizes of the dynamic shared memory (FlashAttentionLaunch.cs mirrors these).
#define FA_FWD_SMEM(D) ((FA_BQ + 4 * FA_BK) * FaDims<D>::SD * 2)
#define FA_DKDV_SMEM(D) ((2 * FA_BK + 4 * FA_BQ_BWD) * FaDims<D>::SD * 2 + 4 * FA_BQ_BWD * 4)
#define FA_DQ_SMEM(D) ((FA_BQ + 4 * FA_BK_DQ) * FaDims<D>::SD * 2)

// ---- tiles: global rows -> shared by cp.async (rows >= valid are zero-filled and not read) ----

// rows x D from base (row r at base + r * stride) into dst (row stride SD); all threads of the block take part.
template <int D, int ROWS>
static __device__ __forceinline__ void fa_load_rows(bf16* dst, const bf16* base, i64 stride, int valid, const bf16* any)
{
    constexpr int CH = D / 8;
    for (int idx = threadIdx.x; idx < ROWS * CH; idx += blockDim.x)
    {
        const int r = idx / CH, c = idx % CH;
        const bool ok = r < valid;
        cp_async16(dst + r * FaDims<D>::SD + c * 8, ok ? (const void*)(base + r * stride + c * 8) : (const void*)any, ok ? 16u : 0u);
    }
}

// ---- warp-level GEMM pieces on fragments ----

// A fragments of the 16 x D block at `rows` (shared, stride SD): a[4 ks ..] per k16 step, then the k8 tail.
template <int D>
static __device__ __forceinline__ void fa_load_a(unsigned int (&a)[FaDims<D>::AF], const bf16* rows)
{
    const int l = threadIdx.x & 31;
    const bf16* p = rows + ((l & 7) + 8 * ((l >> 3) & 1)) * FaDims<D>::SD + 8 * (l >> 4);
#pragma unroll
    for (int ks = 0; ks < FaDims<D>::KS; ks++) ldsm_x4(a[4 * ks], a[4 * ks + 1], a[4 * ks + 2], a[4 * ks + 3], smem_addr(p + 16 * ks));
    if constexpr (FaDims<D>::K8)
    {
        const bf16* t = rows + ((l & 7) + 8 * ((l >> 3) & 1)) * FaDims<D>::SD + 16 * FaDims<D>::KS;
        ldsm_x2(a[4 * FaDims<D>::KS], a[4 * FaDims<D>::KS + 1], smem_addr(t));
    }
}

// s[n] = A (16 x D) . B^T for the 8 NT rows of B at `rows` (shared, stride SD): scores against keys, say.
template <int D, int NT>
static __device__ __forceinline__ void fa_mma_abt(float (&s)[NT][4], const unsigned int (&a)[FaDims<D>::AF], const bf16* rows)
{
    static_assert(NT % 2 == 0, "B rows in pairs of 8");
    const int l = threadIdx.x & 31;
#pragma unroll
    for (int n = 0; n < NT; n++) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
#pragma unroll
    for (int p = 0; p < NT / 2; p++)
    {
        const bf16* r = rows + (16 * p + (l & 7) + 8 * (l >> 4)) * FaDims<D>::SD + 8 * ((l >> 3) & 1);
#pragma unroll
        for (int ks = 0; ks < FaDims<D>::KS; ks++)
        {
            unsigned int b0, b1, b2, b3;
            ldsm_x4(b0, b1, b2, b3, smem_addr(r + 16 * ks));
            mma_16816(s[2 * p], &a[4 * ks], b0, b1);
            mma_16816(s[2 * p + 1], &a[4 * ks], b2, b3);
        }
        if constexpr (FaDims<D>::K8)
        {
            unsigned int b0, b1;
            ldsm_x2(b0, b1, smem_addr(rows + (16 * p + (l & 15)) * FaDims<D>::SD + 16 * FaDims<D>::KS));
            mma_1688(s[2 * p], a[4 * FaDims<D>::KS], a[4 * FaDims<D>::KS + 1], b0);
            mma_1688(s[2 * p + 1], a[4 * FaDims<D>::KS], a[4 * FaDims<D>::KS + 1], b1);
        }
    }
}

// o (16 x D) += P (16 x 16 KT, as A fragments p[kt][4]) . B, B = the 16 KT rows x D at `rows` (shared): P.V, say.
template <int D, int KT>
static __device__ __forceinline__ void fa_mma_ab(float (&o)[FaDims<D>::NT][4], const unsigned int (&p)[KT][4], const bf16* rows)
{
    constexpr int NT = FaDims<D>::NT;
    const int l = threadIdx.x & 31;
#pragma unroll
    for (int kt = 0; kt < KT; kt++)
    {
        const bf16* r = rows + (16 * kt + (l & 7) + 8 * ((l >> 3) & 1)) * FaDims<D>::SD;
#pragma unroll
        for (int n = 0; n < NT / 2; n++)
        {
            unsigned int b0, b1, b2, b3;
            ldsm_x4_t(b0, b1, b2, b3, smem_addr(r + 16 * n + 8 * (l >> 4)));
            mma_16816(o[2 * n], p[kt], b0, b1);
            mma_16816(o[2 * n + 1], p[kt], b2, b3);
        }
        if constexpr (NT % 2 != 0)
        {
            unsigned int b0, b1;
            ldsm_x2_t(b0, b1, smem_addr(r + 8 * (NT - 1)));
            mma_16816(o[NT - 1], p[kt], b0, b1);
        }
    }
}

// Accumulator fragments of a 16 x 8 NT tile -> A fragments of the same values as bf16 (k = the NT * 8 columns).
template <int NT>
static __device__ __forceinline__ void fa_pack_a(unsigned int (&p)[NT / 2][4], const float (&s)[NT][4])
{
#pragma unroll
    for (int k = 0; k < NT / 2; k++)
    {
        p[k][0] = pack_bf16x2(s[2 * k][0], s[2 * k][1]);
        p[k][1] = pack_bf16x2(s[2 * k][2], s[2 * k][3]);
        p[k][2] = pack_bf16x2(s[2 * k + 1][0], s[2 * k + 1][1]);
        p[k][3] = pack_bf16x2(s[2 * k + 1][2], s[2 * k + 1][3]);
    }
}

// ---- masks ----

struct FaMask
{
    int seq_q, seq_k, kv_len, offset, causal;
    const unsigned char* key_mask;   // this batch's row, or null

    __device__ __forceinline__ bool key_ok(int j) const { return j < kv_len && (key_mask == nullptr || key_mask[j] != 0); }
    __device__ __forceinline__ bool visible(int i, int j) const { return i < seq_q && key_ok(j) && (!causal || j <= i + offset); }
};

static __device__ __forceinline__ FaMask fa_mask(int b, int seq_q, int seq_k, int causal, const int* kv_lens, const unsigned char* key_mask)
{
    FaMask m;
    m.seq_q = seq_q;
    m.seq_k = seq_k;
    m.kv_len = kv_lens ? max(0, min(kv_lens[b], seq_k)) : seq_k;
    m.offset = seq_k - seq_q;
    m.causal = causal;
    m.key_mask = key_mask ? key_mask + (i64)b * seq_k : nullptr;
    return m;
}

// ---- the online softmax of one warp's 16 rows (lane holds rows g and g + 8) ----

template <int D>
struct FaRowState
{
    float m[2];                          // running max of the log2-domain scores
    float l[2];                          // running sum of 2^(x - m) over this lane's columns (quad-summed at the end)
    float o[FaDims<D>::NT][4];           // unnormalized output

    __device__ __forceinline__ void init()
    {
        m[0] = m[1] = -MANTIS_INF;
        l[0] = l[1] = 0.0f;
#pragma unroll
        for (int n = 0; n < FaDims<D>::NT; n++) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
    }

    // One tile of NT * 8 keys: s = raw scores (masked entries already -inf after scaling); v = the tile's V rows.
    template <int NT>
    __device__ __forceinline__ void push(float (&s)[NT][4], const bf16* v)
    {
#pragma unroll
        for (int r = 0; r < 2; r++)
        {
            float mx = -MANTIS_INF;
#pragma unroll
            for (int n = 0; n < NT; n++) mx = fmaxf(mx, fmaxf(s[n][2 * r], s[n][2 * r + 1]));
            mx = fmaxf(mx, __shfl_xor_sync(MANTIS_FULL_MASK, mx, 1));
            mx = fmaxf(mx, __shfl_xor_sync(MANTIS_FULL_MASK, mx, 2));
            const float m_new = fmaxf(m[r], mx);
            const float ref = m_new == -MANTIS_INF ? 0.0f : m_new;   // a row that saw nothing yet stays all zero
            const float alpha = exp2f(m[r] - ref);
            float sum = 0.0f;
#pragma unroll
            for (int n = 0; n < NT; n++)
            {
                s[n][2 * r] = exp2f(s[n][2 * r] - ref);
                s[n][2 * r + 1] = exp2f(s[n][2 * r + 1] - ref);
                sum += s[n][2 * r] + s[n][2 * r + 1];
            }
            l[r] = l[r] * alpha + sum;
            m[r] = m_new;
#pragma unroll
            for (int n = 0; n < FaDims<D>::NT; n++) { o[n][2 * r] *= alpha; o[n][2 * r + 1] *= alpha; }
        }
        unsigned int p[NT / 2][4];
        fa_pack_a<NT>(p, s);
        fa_mma_ab<D, NT / 2>(o, p, v);
    }

    // Sums l over the quad; afterwards l is the row's full sum.
    __device__ __forceinline__ void finish()
    {
#pragma unroll
        for (int r = 0; r < 2; r++)
        {
            l[r] += __shfl_xor_sync(MANTIS_FULL_MASK, l[r], 1);
            l[r] += __shfl_xor_sync(MANTIS_FULL_MASK, l[r], 2);
        }
    }

    // Natural-log lse of row r (after finish), -inf for a row that saw no key.
    __device__ __forceinline__ float lse(int r) const { return l[r] > 0.0f ? (m[r] + log2f(l[r])) * FA_LN2 : -MANTIS_INF; }
};

// Scales raw scores into the log2 domain and masks them: key column j0 + n*8 + 2t (+1), rows i0 + g (+8).
template <int NT>
static __device__ __forceinline__ void fa_mask_scores(float (&s)[NT][4], const FaMask& mk, int i0, int j0, float scale_log2)
{
    const int l = threadIdx.x & 31, g = l >> 2, t = l & 3;
#pragma unroll
    for (int n = 0; n < NT; n++)
#pragma unroll
        for (int e = 0; e < 4; e++)
        {
            const int i = i0 + g + 8 * (e >> 1), j = j0 + 8 * n + 2 * t + (e & 1);
            s[n][e] = mk.visible(i, j) ? s[n][e] * scale_log2 : -MANTIS_INF;
        }
}

// ---- forward ----

template <int D>
static __device__ __forceinline__ void flash_fwd(const bf16* __restrict__ q, const bf16* __restrict__ k, const bf16* __restrict__ v,
    bf16* __restrict__ o, float* __restrict__ lse, i64 qs_b, i64 qs_t, i64 qs_h, i64 ks_b, i64 ks_t, i64 ks_h,
    int heads, int kv_heads, int seq_q, int seq_k, float scale, int causal, const int* kv_lens, const unsigned char* key_mask)
{
    constexpr int SD = FaDims<D>::SD;
    extern __shared__ __align__(16) bf16 fa_smem[];
    bf16* qsm = fa_smem;                       // [FA_BQ][SD]
    bf16* ksm = qsm + FA_BQ * SD;              // [2][FA_BK][SD]
    bf16* vsm = ksm + 2 * FA_BK * SD;          // [2][FA_BK][SD]

    const int warp = threadIdx.x >> 5, l = threadIdx.x & 31;
    const int b = blockIdx.y / heads, h = blockIdx.y % heads, hk = h / (heads / kv_heads);
    const int q0 = blockIdx.x * FA_BQ, qw = q0 + 16 * warp;
    const FaMask mk = fa_mask(b, seq_q, seq_k, causal, kv_lens, key_mask);
    const bf16* qb = q + b * qs_b + h * qs_h;
    const bf16* kb = k + b * ks_b + hk * ks_h;
    const bf16* vb = v + b * ks_b + hk * ks_h;

    int k_end = mk.kv_len;
    if (causal) k_end = min(k_end, min(q0 + FA_BQ, seq_q) + mk.offset);   // the block's last row sees keys below this
    const int tiles = k_end > 0 ? (k_end + FA_BK - 1) / FA_BK : 0;
    const float sl2 = scale * FA_LOG2E;

    fa_load_rows<D, FA_BQ>(qsm, qb + q0 * qs_t, qs_t, seq_q - q0, q);
    if (tiles > 0)
    {
        fa_load_rows<D, FA_BK>(ksm, kb, ks_t, seq_k, k);
        fa_load_rows<D, FA_BK>(vsm, vb, ks_t, seq_k, v);
    }
    cp_async_commit();

    FaRowState<D> st;
    st.init();
    unsigned int qa[FaDims<D>::AF];
    const int warp_last_row = min(qw + 15, seq_q - 1);
    for (int t = 0; t < tiles; t++)
    {
        const int buf = t & 1, k0 = t * FA_BK;
        if (t + 1 < tiles)
        {
            const int nb = buf ^ 1, k1 = k0 + FA_BK;
            fa_load_rows<D, FA_BK>(ksm + nb * FA_BK * SD, kb + k1 * ks_t, ks_t, seq_k - k1, k);
            fa_load_rows<D, FA_BK>(vsm + nb * FA_BK * SD, vb + k1 * ks_t, ks_t, seq_k - k1, v);
            cp_async_commit();
            cp_async_wait<1>();
        }
        else cp_async_wait<0>();
        __syncthreads();
        if (t == 0) fa_load_a<D>(qa, qsm + 16 * warp * SD);
        // a warp whose rows are all past the sequence, or (causal) all before this tile's first key, skips it
        const bool active = qw < seq_q && (!causal || k0 <= warp_last_row + mk.offset);
        if (active)
        {
            float s[FA_BK / 8][4];
            fa_mma_abt<D, FA_BK / 8>(s, qa, ksm + buf * FA_BK * SD);
            fa_mask_scores<FA_BK / 8>(s, mk, qw, k0, sl2);
            st.template push<FA_BK / 8>(s, vsm + buf * FA_BK * SD);
        }
        __syncthreads();   // the buffer is overwritten by the load issued next iteration
    }
    if (tiles == 0) cp_async_wait<0>();
    st.finish();

    const int g = l >> 2, tq = l & 3;
#pragma unroll
    for (int r = 0; r < 2; r++)
    {
        const int i = qw + g + 8 * r;
        if (i >= seq_q) continue;
        const float inv = st.l[r] > 0.0f ? 1.0f / st.l[r] : 0.0f;
        bf16* orow = o + b * qs_b + h * qs_h + i * qs_t;
#pragma unroll
        for (int n = 0; n < FaDims<D>::NT; n++)
        {
            orow[8 * n + 2 * tq] = f32_to_bf16(st.o[n][2 * r] * inv);
            orow[8 * n + 2 * tq + 1] = f32_to_bf16(st.o[n][2 * r + 1] * inv);
        }
        if (tq == 0) lse[((i64)b * heads + h) * seq_q + i] = st.lse(r);
    }
}

// ---- backward ----

// delta[b, h, i] = sum_d o * do (one warp per row, rows walked with a stride).
extern "C" __global__ void flash_bwd_delta(const bf16* __restrict__ o, const bf16* __restrict__ dout, float* __restrict__ delta,
    i64 qs_b, i64 qs_t, i64 qs_h, int batch, int heads, int seq_q, int head_dim)
{
    const int lane = threadIdx.x & 31;
    const i64 warps = (i64)gridDim.x * (blockDim.x >> 5), rows = (i64)batch * heads * seq_q;
    for (i64 row = (i64)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); row < rows; row += warps)
    {
        const i64 bh = row / seq_q;
        const int i = (int)(row - bh * seq_q), b = (int)(bh / heads), h = (int)(bh % heads);
        const i64 base = b * qs_b + h * qs_h + i * qs_t;
        float s = 0.0f;
        for (int d = lane; d < head_dim; d += 32) s += bf16_to_f32(o[base + d]) * bf16_to_f32(dout[base + d]);
        s = warp_sum(s);
        if (lane == 0) delta[row] = s;
    }
}

template <int D>
static __device__ __forceinline__ void flash_bwd_dkdv(const bf16* __restrict__ q, const bf16* __restrict__ k, const bf16* __restrict__ v,
    const bf16* __restrict__ dout, const float* __restrict__ lse, const float* __restrict__ delta, float* __restrict__ dk, float* __restrict__ dv,
    i64 qs_b, i64 qs_t, i64 qs_h, i64 ks_b, i64 ks_t, i64 ks_h,
    int heads, int kv_heads, int seq_q, int seq_k, float scale, int causal, const int* kv_lens, const unsigned char* key_mask)
{
    constexpr int SD = FaDims<D>::SD, NT = FaDims<D>::NT, QT = FA_BQ_BWD / 8;
    extern __shared__ __align__(16) bf16 fa_smem[];
    bf16* ksm = fa_smem;                       // [FA_BK][SD]
    bf16* vsm = ksm + FA_BK * SD;              // [FA_BK][SD]
    bf16* qsm = vsm + FA_BK * SD;              // [2][FA_BQ_BWD][SD]
    bf16* dosm = qsm + 2 * FA_BQ_BWD * SD;     // [2][FA_BQ_BWD][SD]
    float* lsm = reinterpret_cast<float*>(dosm + 2 * FA_BQ_BWD * SD);   // [2][FA_BQ_BWD] lse (log2 domain after load)
    float* dlsm = lsm + 2 * FA_BQ_BWD;                                   // [2][FA_BQ_BWD] delta

    const int warp = threadIdx.x >> 5, l = threadIdx.x & 31, g = l >> 2, tq = l & 3;
    const int b = blockIdx.y / kv_heads, hk = blockIdx.y % kv_heads, group = heads / kv_heads;
    const int k0 = blockIdx.x * FA_BK, kw = k0 + 16 * warp;
    const FaMask mk = fa_mask(b, seq_q, seq_k, causal, kv_lens, key_mask);
    const float sl2 = scale * FA_LOG2E;

    float dka[NT][4], dva[NT][4];
#pragma unroll
    for (int n = 0; n < NT; n++)
#pragma unroll
        for (int e = 0; e < 4; e++) dka[n][e] = dva[n][e] = 0.0f;

    // query tiles that can see a key of this block: causal rows i >= k0 - offset; none past the padding
    const int i_first = causal ? max(0, k0 - mk.offset) : 0;
    const int t_first = i_first / FA_BQ_BWD, t_per_head = (seq_q + FA_BQ_BWD - 1) / FA_BQ_BWD;
    const int steps = k0 < mk.kv_len && t_first < t_per_head ? group * (t_per_head - t_first) : 0;

    if (steps > 0)
    {
        fa_load_rows<D, FA_BK>(ksm, k + b * ks_b + hk * ks_h + k0 * ks_t, ks_t, seq_k - k0, k);
        fa_load_rows<D, FA_BK>(vsm, v + b * ks_b + hk * ks_h + k0 * ks_t, ks_t, seq_k - k0, v);
    }
    auto issue = [&](int step, int buf) {
        const int h = hk * group + step / (t_per_head - t_first), i0 = (t_first + step % (t_per_head - t_first)) * FA_BQ_BWD;
        const i64 off = b * qs_b + h * qs_h + i0 * qs_t;
        fa_load_rows<D, FA_BQ_BWD>(qsm + buf * FA_BQ_BWD * SD, q + off, qs_t, seq_q - i0, q);
        fa_load_rows<D, FA_BQ_BWD>(dosm + buf * FA_BQ_BWD * SD, dout + off, qs_t, seq_q - i0, dout);
        // lse and delta rows are not 16-byte aligned in general: plain loads (published by the same barrier)
        const i64 row = ((i64)b * heads + h) * seq_q + i0;
        for (int c = threadIdx.x; c < FA_BQ_BWD; c += blockDim.x)
        {
            const bool ok = i0 + c < seq_q;
            lsm[buf * FA_BQ_BWD + c] = ok ? lse[row + c] : -MANTIS_INF;
            dlsm[buf * FA_BQ_BWD + c] = ok ? delta[row + c] : 0.0f;
        }
    };
    if (steps > 0) issue(0, 0);
    cp_async_commit();

    for (int step = 0; step < steps; step++)
    {
        const int buf = step & 1, i0 = (t_first + step % (t_per_head - t_first)) * FA_BQ_BWD;
        if (step + 1 < steps)
        {
            issue(step + 1, buf ^ 1);
            cp_async_commit();
            cp_async_wait<1>();
        }
        else cp_async_wait<0>();
        __syncthreads();
        const bf16* qt = qsm + buf * FA_BQ_BWD * SD;
        const bf16* dot = dosm + buf * FA_BQ_BWD * SD;
        const float* lt = lsm + buf * FA_BQ_BWD;
        const float* dt = dlsm + buf * FA_BQ_BWD;
        // this warp's keys see some row of the tile (causal: the tile's last row reaches the warp's first key)
        const bool active = kw < mk.kv_len && (!causal || kw <= min(i0 + FA_BQ_BWD - 1, seq_q - 1) + mk.offset);
        if (active)
        {
            unsigned int a[FaDims<D>::AF];
            float st[QT][4], dpt[QT][4];   // S^T and dP^T: rows = this warp's 16 keys, columns = the tile's queries
            fa_load_a<D>(a, ksm + 16 * warp * SD);
            fa_mma_abt<D, QT>(st, a, qt);
            fa_load_a<D>(a, vsm + 16 * warp * SD);
            fa_mma_abt<D, QT>(dpt, a, dot);
#pragma unroll
            for (int n = 0; n < QT; n++)
#pragma unroll
                for (int e = 0; e < 4; e++)
                {
                    const int j = kw + g + 8 * (e >> 1), c = 8 * n + 2 * tq + (e & 1), i = i0 + c;
                    const float lse2 = lt[c] * FA_LOG2E;
                    const float p = mk.visible(i, j) && lt[c] != -MANTIS_INF ? exp2f(st[n][e] * sl2 - lse2) : 0.0f;
                    st[n][e] = p;
                    dpt[n][e] = p * (dpt[n][e] - dt[c]);   // dS^T (unscaled)
                }
            unsigned int pa[QT / 2][4];
            fa_pack_a<QT>(pa, st);
            fa_mma_ab<D, QT / 2>(dva, pa, dot);
            fa_pack_a<QT>(pa, dpt);
            fa_mma_ab<D, QT / 2>(dka, pa, qt);
        }
        __syncthreads();
    }
    if (steps == 0) cp_async_wait<0>();

#pragma unroll
    for (int r = 0; r < 2; r++)
    {
        const int j = kw + g + 8 * r;
        if (j >= seq_k) continue;
        const i64 base = b * ks_b + hk * ks_h + j * ks_t;
#pragma unroll
        for (int n = 0; n < NT; n++)
#pragma unroll
            for (int e = 0; e < 2; e++)
            {
                dk[base + 8 * n + 2 * tq + e] = dka[n][2 * r + e] * scale;
                dv[base + 8 * n + 2 * tq + e] = dva[n][2 * r + e];
            }
    }
}

template <int D>
static __device__ __forceinline__ void flash_bwd_dq(const bf16* __restrict__ q, const bf16* __restrict__ k, const bf16* __restrict__ v,
    const bf16* __restrict__ dout, const float* __restrict__ lse, const float* __restrict__ delta, float* __restrict__ dq,
    i64 qs_b, i64 qs_t, i64 qs_h, i64 ks_b, i64 ks_t, i64 ks_h,
    int heads, int kv_heads, int seq_q, int seq_k, float scale, int causal, const int* kv_lens, const unsigned char* key_mask)
{
    constexpr int SD = FaDims<D>::SD, NT = FaDims<D>::NT, KT = FA_BK_DQ / 8;
    extern __shared__ __align__(16) bf16 fa_smem[];
    bf16* qsm = fa_smem;                       // [FA_BQ][SD]: q rows, then (after the fragments are read) do rows
    bf16* ksm = qsm + FA_BQ * SD;              // [2][FA_BK_DQ][SD]
    bf16* vsm = ksm + 2 * FA_BK_DQ * SD;       // [2][FA_BK_DQ][SD]

    const int warp = threadIdx.x >> 5, l = threadIdx.x & 31, g = l >> 2, tq = l & 3;
    const int b = blockIdx.y / heads, h = blockIdx.y % heads, hk = h / (heads / kv_heads);
    const int q0 = blockIdx.x * FA_BQ, qw = q0 + 16 * warp;
    const FaMask mk = fa_mask(b, seq_q, seq_k, causal, kv_lens, key_mask);
    const bf16* kb = k + b * ks_b + hk * ks_h;
    const bf16* vb = v + b * ks_b + hk * ks_h;
    const i64 qoff = b * qs_b + h * qs_h + q0 * qs_t;
    const float sl2 = scale * FA_LOG2E;

    int k_end = mk.kv_len;
    if (causal) k_end = min(k_end, min(q0 + FA_BQ, seq_q) + mk.offset);
    const int tiles = k_end > 0 ? (k_end + FA_BK_DQ - 1) / FA_BK_DQ : 0;

    // Q and dO fragments stay in registers: load Q, read its fragments, then dO through the same buffer
    unsigned int qa[FaDims<D>::AF], da[FaDims<D>::AF];
    fa_load_rows<D, FA_BQ>(qsm, q + qoff, qs_t, seq_q - q0, q);
    cp_async_commit();
    cp_async_wait<0>();
    __syncthreads();
    fa_load_a<D>(qa, qsm + 16 * warp * SD);
    __syncthreads();
    fa_load_rows<D, FA_BQ>(qsm, dout + qoff, qs_t, seq_q - q0, dout);
    if (tiles > 0)
    {
        fa_load_rows<D, FA_BK_DQ>(ksm, kb, ks_t, seq_k, k);
        fa_load_rows<D, FA_BK_DQ>(vsm, vb, ks_t, seq_k, v);
    }
    cp_async_commit();

    float lse2[2], dl[2];
#pragma unroll
    for (int r = 0; r < 2; r++)
    {
        const int i = qw + g + 8 * r;
        const i64 row = ((i64)b * heads + h) * seq_q + i;
        lse2[r] = i < seq_q ? lse[row] * FA_LOG2E : -MANTIS_INF;
        dl[r] = i < seq_q ? delta[row] : 0.0f;
    }
    float dqa[NT][4];
#pragma unroll
    for (int n = 0; n < NT; n++) dqa[n][0] = dqa[n][1] = dqa[n][2] = dqa[n][3] = 0.0f;
    const int warp_last_row = min(qw + 15, seq_q - 1);

    for (int t = 0; t < tiles; t++)
    {
        const int buf = t & 1, k0 = t * FA_BK_DQ;
        if (t + 1 < tiles)
        {
            const int k1 = k0 + FA_BK_DQ;
            fa_load_rows<D, FA_BK_DQ>(ksm + (buf ^ 1) * FA_BK_DQ * SD, kb + k1 * ks_t, ks_t, seq_k - k1, k);
            fa_load_rows<D, FA_BK_DQ>(vsm + (buf ^ 1) * FA_BK_DQ * SD, vb + k1 * ks_t, ks_t, seq_k - k1, v);
            cp_async_commit();
            cp_async_wait<1>();
        }
        else cp_async_wait<0>();
        __syncthreads();
        if (t == 0) fa_load_a<D>(da, qsm + 16 * warp * SD);
        const bool active = qw < seq_q && (!causal || k0 <= warp_last_row + mk.offset);
        if (active)
        {
            float s[KT][4], dp[KT][4];
            fa_mma_abt<D, KT>(s, qa, ksm + buf * FA_BK_DQ * SD);
            fa_mma_abt<D, KT>(dp, da, vsm + buf * FA_BK_DQ * SD);
#pragma unroll
            for (int n = 0; n < KT; n++)
#pragma unroll
                for (int e = 0; e < 4; e++)
                {
                    const int r = e >> 1, i = qw + g + 8 * r, j = k0 + 8 * n + 2 * tq + (e & 1);
                    const float p = mk.visible(i, j) && lse2[r] != -MANTIS_INF ? exp2f(s[n][e] * sl2 - lse2[r]) : 0.0f;
                    s[n][e] = p * (dp[n][e] - dl[r]);   // dS (unscaled)
                }
            unsigned int pa[KT / 2][4];
            fa_pack_a<KT>(pa, s);
            fa_mma_ab<D, KT / 2>(dqa, pa, ksm + buf * FA_BK_DQ * SD);
        }
        __syncthreads();
    }
    if (tiles == 0)
    {
        cp_async_wait<0>();
    }

#pragma unroll
    for (int r = 0; r < 2; r++)
    {
        const int i = qw + g + 8 * r;
        if (i >= seq_q) continue;
        float* row = dq + b * qs_b + h * qs_h + i * qs_t;
#pragma unroll
        for (int n = 0; n < NT; n++)
        {
            row[8 * n + 2 * tq] = dqa[n][2 * r] * scale;
            row[8 * n + 2 * tq + 1] = dqa[n][2 * r + 1] * scale;
        }
    }
}

// ---- split-KV decode (one query token) ----

template <int D>
static __device__ __forceinline__ void flash_decode(const bf16* __restrict__ q, const bf16* __restrict__ k, const bf16* __restrict__ v,
    float* __restrict__ o_part, float* __restrict__ lse_part, i64 qs_b, i64 qs_h, i64 ks_b, i64 ks_t, i64 ks_h,
    int batch, int heads, int kv_heads, int seq_k, int chunk, float scale, const int* kv_lens, const unsigned char* key_mask)
{
    constexpr int SD = FaDims<D>::SD, NT = FaDims<D>::NT;
    extern __shared__ __align__(16) bf16 fa_smem[];
    bf16* qsm = fa_smem;                       // [16][SD]: the group's query heads, zero rows past the group
    bf16* ksm = qsm + 16 * SD;                 // [2][FA_BK][SD]
    bf16* vsm = ksm + 2 * FA_BK * SD;          // [2][FA_BK][SD]

    const int warp = threadIdx.x >> 5, l = threadIdx.x & 31, g = l >> 2, tq = l & 3;
    const int split = blockIdx.x, b = blockIdx.y / kv_heads, hk = blockIdx.y % kv_heads, group = heads / kv_heads;
    const FaMask mk = fa_mask(b, 1, seq_k, 0, kv_lens, key_mask);
    const int j_begin = split * chunk, j_end = min(j_begin + chunk, mk.kv_len);
    const int tiles = j_end > j_begin ? (j_end - j_begin + FA_BK - 1) / FA_BK : 0;
    const bf16* kb = k + b * ks_b + hk * ks_h;
    const bf16* vb = v + b * ks_b + hk * ks_h;
    const float sl2 = scale * FA_LOG2E;

    // query head hk * group + r is row r: rows are heads here, strided by qs_h
    fa_load_rows<D, 16>(qsm, q + b * qs_b + (hk * group) * qs_h, qs_h, group, q);
    if (tiles > 0)
    {
        fa_load_rows<D, FA_BK>(ksm, kb + j_begin * ks_t, ks_t, j_end - j_begin, k);
        fa_load_rows<D, FA_BK>(vsm, vb + j_begin * ks_t, ks_t, j_end - j_begin, v);
    }
    cp_async_commit();

    FaRowState<D> st;
    st.init();
    unsigned int qa[FaDims<D>::AF];
    for (int t = 0; t < tiles; t++)
    {
        const int buf = t & 1, k0 = j_begin + t * FA_BK;
        if (t + 1 < tiles)
        {
            const int k1 = k0 + FA_BK;
            fa_load_rows<D, FA_BK>(ksm + (buf ^ 1) * FA_BK * SD, kb + k1 * ks_t, ks_t, j_end - k1, k);
            fa_load_rows<D, FA_BK>(vsm + (buf ^ 1) * FA_BK * SD, vb + k1 * ks_t, ks_t, j_end - k1, v);
            cp_async_commit();
            cp_async_wait<1>();
        }
        else cp_async_wait<0>();
        __syncthreads();
        if (t == 0) fa_load_a<D>(qa, qsm);
        // warp w takes keys 16 w .. 16 w + 15 of the tile
        const int kw = k0 + 16 * warp;
        if (kw < j_end)
        {
            float s[2][4];
            fa_mma_abt<D, 2>(s, qa, ksm + (buf * FA_BK + 16 * warp) * SD);
#pragma unroll
            for (int n = 0; n < 2; n++)
#pragma unroll
                for (int e = 0; e < 4; e++)
                {
                    const int j = kw + 8 * n + 2 * tq + (e & 1);
                    s[n][e] = j < j_end && mk.key_ok(j) ? s[n][e] * sl2 : -MANTIS_INF;
                }
            st.template push<2>(s, vsm + (buf * FA_BK + 16 * warp) * SD);
        }
        __syncthreads();
    }
    if (tiles == 0) cp_async_wait<0>();
    st.finish();

    // merge the four warps' states through shared memory (the tiles are no longer needed)
    __syncthreads();
    float* wm = reinterpret_cast<float*>(fa_smem);   // [4][16] max
    float* wl = wm + FA_WARPS * 16;                  // [4][16] sum
    float* wo = wl + FA_WARPS * 16;                  // [4][16][D] unnormalized output
#pragma unroll
    for (int r = 0; r < 2; r++)
    {
        const int row = g + 8 * r;
        if (tq == 0) { wm[warp * 16 + row] = st.m[r]; wl[warp * 16 + row] = st.l[r]; }
#pragma unroll
        for (int n = 0; n < NT; n++)
        {
            wo[(warp * 16 + row) * D + 8 * n + 2 * tq] = st.o[n][2 * r];
            wo[(warp * 16 + row) * D + 8 * n + 2 * tq + 1] = st.o[n][2 * r + 1];
        }
    }
    __syncthreads();
    for (int idx = threadIdx.x; idx < group * D; idx += blockDim.x)
    {
        const int row = idx / D, d = idx % D;
        float m = -MANTIS_INF;
        for (int w = 0; w < FA_WARPS; w++) m = fmaxf(m, wl[w * 16 + row] > 0.0f ? wm[w * 16 + row] : -MANTIS_INF);
        float sum = 0.0f, acc = 0.0f;
        if (m != -MANTIS_INF)
            for (int w = 0; w < FA_WARPS; w++)
            {
                if (!(wl[w * 16 + row] > 0.0f)) continue;
                const float f = exp2f(wm[w * 16 + row] - m);
                sum += wl[w * 16 + row] * f;
                acc += wo[(w * 16 + row) * D + d] * f;
            }
        const i64 out = ((i64)split * batch + b) * heads + hk * group + row;
        o_part[out * D + d] = sum > 0.0f ? acc / sum : 0.0f;
        if (d == 0) lse_part[out] = sum > 0.0f ? (m + log2f(sum)) * FA_LN2 : -MANTIS_INF;
    }
}

// o[b, 0, h, :] and lse[b, h] from the splits' partials (weights exp(lse_s - lse)).
extern "C" __global__ void flash_decode_combine(const float* __restrict__ o_part, const float* __restrict__ lse_part, bf16* __restrict__ o,
    float* __restrict__ lse, i64 qs_b, i64 qs_h, int batch, int heads, int head_dim, int splits)
{
    const int bh = blockIdx.x, b = bh / heads, h = bh % heads;
    const i64 stride = (i64)batch * heads;
    float m = -MANTIS_INF;
    for (int s = 0; s < splits; s++) m = fmaxf(m, lse_part[s * stride + bh]);
    float sum = 0.0f;
    if (m != -MANTIS_INF)
        for (int s = 0; s < splits; s++) sum += __expf(lse_part[s * stride + bh] - m);
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x)
    {
        float acc = 0.0f;
        if (sum > 0.0f)
            for (int s = 0; s < splits; s++)
            {
                const float w = lse_part[s * stride + bh];
                if (w != -MANTIS_INF) acc += __expf(w - m) * o_part[(s * stride + bh) * head_dim + d];
            }
        o[b * qs_b + h * qs_h + d] = f32_to_bf16(sum > 0.0f ? acc / sum : 0.0f);
    }
    if (threadIdx.x == 0) lse[bh] = sum > 0.0f ? m + logf(sum) : -MANTIS_INF;
}

#define FLASH_ENTRY_POINTS(D)                                                                                           \
    extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_fwd_d##D(                                            \
        const bf16* q, const bf16* k, const bf16* v, bf16* o, float* lse, i64 qs_b, i64 qs_t, i64 qs_h, i64 ks_b,         \
        i64 ks_t, i64 ks_h, int heads, int kv_heads, int seq_q, int seq_k, float scale, int causal, const int* kv_lens,   \
        const unsigned char* key_mask)                                                                                  \
    {                                                                                                                   \
        flash_fwd<D>(q, k, v, o, lse, qs_b, qs_t, qs_h, ks_b, ks_t, ks_h, heads, kv_heads, seq_q, seq_k, scale, causal,  \
                     kv_lens, key_mask);                                                                                \
    }                                                                                                                   \
    extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_bwd_dkdv_d##D(                                       \
        const bf16* q, const bf16* k, const bf16* v, const bf16* dout, const float* lse, const float* delta, float* dk,   \
        float* dv, i64 qs_b, i64 qs_t, i64 qs_h, i64 ks_b, i64 ks_t, i64 ks_h, int heads, int kv_heads, int seq_q,       \
        int seq_k, float scale, int causal, const int* kv_lens, const unsigned char* key_mask)                           \
    {                                                                                                                   \
        flash_bwd_dkdv<D>(q, k, v, dout, lse, delta, dk, dv, qs_b, qs_t, qs_h, ks_b, ks_t, ks_h, heads, kv_heads, seq_q, \
                          seq_k, scale, causal, kv_lens, key_mask);                                                     \
    }                                                                                                                   \
    extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_bwd_dq_d##D(                                         \
        const bf16* q, const bf16* k, const bf16* v, const bf16* dout, const float* lse, const float* delta, float* dq,   \
        i64 qs_b, i64 qs_t, i64 qs_h, i64 ks_b, i64 ks_t, i64 ks_h, int heads, int kv_heads, int seq_q, int seq_k,       \
        float scale, int causal, const int* kv_lens, const unsigned char* key_mask)                                      \
    {                                                                                                                   \
        flash_bwd_dq<D>(q, k, v, dout, lse, delta, dq, qs_b, qs_t, qs_h, ks_b, ks_t, ks_h, heads, kv_heads, seq_q, seq_k, \
                        scale, causal, kv_lens, key_mask);                                                              \
    }                                                                                                                   \
    extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_decode_d##D(                                         \
        const bf16* q, const bf16* k, const bf16* v, float* o_part, float* lse_part, i64 qs_b, i64 qs_h, i64 ks_b,       \
        i64 ks_t, i64 ks_h, int batch, int heads, int kv_heads, int seq_k, int chunk, float scale, const int* kv_lens,   \
        const unsigned char* key_mask)                                                                                  \
    {                                                                                                                   \
        flash_decode<D>(q, k, v, o_part, lse_part, qs_b, qs_h, ks_b, ks_t, ks_h, batch, heads, kv_heads, seq_k, chunk,   \
                        scale, kv_lens, key_mask);                                                                      \
    }

FLASH_ENTRY_POINTS(8)
FLASH_ENTRY_POINTS(16)
FLASH_ENTRY_POINTS(24)
FLASH_ENTRY_POINTS(32)
FLASH_ENTRY_POINTS(64)
FLASH_ENTRY_POINTS(72)
FLASH_ENTRY_POINTS(80)
FLASH_ENTRY_POINTS(96)
FLASH_ENTRY_POINTS(128)
