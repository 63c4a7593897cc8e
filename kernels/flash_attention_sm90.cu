// Flash attention forward on Hopper (sm_90a), FA3 design: TMA loads K/V tiles into a multi-stage shared-memory
// ring guarded by mbarriers, one producer warpgroup issues them (its registers given away with setmaxnreg), two
// consumer warpgroups compute S = Q K^T and O += P V with wgmma (bf16 in, fp32 accumulate), and each consumer
// overlaps the softmax of tile j with the tensor-core work of tile j+1's Q K^T and tile j's P V (FA3's
// intra-warpgroup pipelining); the two consumers take turns issuing their GEMMs through named barriers, so one's
// softmax also overlaps the other's GEMMs (FA3's inter-warpgroup ping-pong).
//
// Contract (the same as kernels/attention.cu's forward):
//   q, o: [batch, seq_q, heads, D] bf16 indexed by strides in elements (head, token, batch): the native token-major
//         layout (head stride D, token stride heads * D) or the head-major [batch, heads, seq_q, D] (token stride D)
//   k, v: [batch, seq_k, kv_heads, D] bf16 likewise, read through TMA tensor maps (C# encodes them: dims {D,
//         kv_heads, seq_k, batch} with the tensor's own head, token and batch strides, box {64, 1, 64, 1}, 128-byte
//         swizzle, zero fill out of bounds); q through a map likewise, o written through its strides
//   lse: [batch, heads, seq_q] fp32, natural log; a row that sees no key gets o = 0 and lse = -inf
//   causal: query i sees keys j <= i + (seq_k - seq_q) (bottom-right aligned); kv_lens int32 [batch] (keys
//   j >= kv_lens[b] are padding); key_mask uint8 [batch, seq_k] (0 = padding); all optional and combined.
//   Grouped-query heads: query head h reads kv head h / (heads / kv_heads).
// Head dims 64, 72, 80, 96, 128 are template instances (flash_attention_sm90_fwd_d64, ...). Dims above 64 load two
// 64-column chunks (columns past D arrive as zeros); Q K^T runs ceil(D / 16) k-steps, P V is one m64nDk16 per
// 16 keys with N = D exactly (72 and 80 are native wgmma widths, no padding to 128).
//
// Geometry: grid (ceil(seq_q / 128), heads, batch), block 384 threads (warpgroup 0 produces, 1 and 2 consume 64
// query rows each), dynamic shared memory FA3_SMEM_BYTES(D) (C# mirrors it: FlashAttentionSm90Launch).
// Shared memory (from a 1024-byte aligned base, swizzle atoms aligned): Q [2 consumers][chunks][64 x 128 B],
// K and V [stages][chunks][64 x 128 B], then the mbarriers.
#include "tma_wgmma_sm90.cuh"

#define FA3_BM 64                      // query rows per consumer warpgroup
#define FA3_CONSUMERS 2
#define FA3_BN 64                      // keys per tile
#define FA3_STAGES 2
#define FA3_THREADS (128 * (1 + FA3_CONSUMERS))
#define FA3_TURN_THREADS (128 * FA3_CONSUMERS)   // the two consumers' threads meet at each ping-pong barrier
#define FA3_TILE_BYTES (64 * 128)      // one 64-row x 64-column bf16 chunk
#define FA3_CHUNKS(D) (((D) + 63) / 64)
#define FA3_BARRIER_OFFSET(D) ((FA3_CONSUMERS + 2 * FA3_STAGES) * FA3_CHUNKS(D) * FA3_TILE_BYTES)
#define FA3_SMEM_BYTES(D) (1024 + FA3_BARRIER_OFFSET(D) + 8 * (FA3_CONSUMERS + 3 * FA3_STAGES))

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)

static __device__ __forceinline__ unsigned pack_bf16x2(float lo, float hi)
{
    return (unsigned)f32_to_bf16(lo) | ((unsigned)f32_to_bf16(hi) << 16);
}

// Row max / sum over the quad (the 4 lanes holding one accumulator row).
static __device__ __forceinline__ float quad_max(float v)
{
    v = fmaxf(v, __shfl_xor_sync(MANTIS_FULL_MASK, v, 1));
    return fmaxf(v, __shfl_xor_sync(MANTIS_FULL_MASK, v, 2));
}
static __device__ __forceinline__ float quad_sum(float v)
{
    v += __shfl_xor_sync(MANTIS_FULL_MASK, v, 1);
    return v + __shfl_xor_sync(MANTIS_FULL_MASK, v, 2);
}

struct Fa3Rows
{
    int qi[2];        // the thread's two query rows (g and g + 8 of its warp's 16)
    float m[2], l[2]; // running max (log2 units, scaled) and sum
};

// Softmax of one S tile in place: masks, updates m and l, returns the rescale factor of each row's old O and
// packs P (bf16) into the register-A fragments of the P V wgmma (4 k-steps of 16 keys).
static __device__ __forceinline__ void fa3_softmax(float* s, unsigned (*p)[4], Fa3Rows& rows, float alpha[2], int k0, int seq_k_visible,
                                                   int offset, int causal, const unsigned char* mask_row, float scale_log2)
{
    const int t = threadIdx.x & 3;
    float mx[2] = { -MANTIS_INF, -MANTIS_INF };
#pragma unroll
    for (int i = 0; i < FA3_BN / 2; i++)
    {
        const int half = (i >> 1) & 1, kj = k0 + 8 * (i >> 2) + 2 * t + (i & 1);
        bool ok = kj < seq_k_visible && (!causal || kj <= rows.qi[half] + offset);
        if (ok && mask_row) ok = mask_row[kj] != 0;
        s[i] = ok ? s[i] * scale_log2 : -MANTIS_INF;
        mx[half] = fmaxf(mx[half], s[i]);
    }
    float mnew[2];
#pragma unroll
    for (int h = 0; h < 2; h++)
    {
        mnew[h] = fmaxf(rows.m[h], quad_max(mx[h]));
        alpha[h] = mnew[h] == -MANTIS_INF ? 1.0f : exp2f(rows.m[h] - mnew[h]);
    }
    float sum[2] = { 0.0f, 0.0f };
#pragma unroll
    for (int i = 0; i < FA3_BN / 2; i++)
    {
        const int half = (i >> 1) & 1;
        s[i] = mnew[half] == -MANTIS_INF ? 0.0f : exp2f(s[i] - mnew[half]);
        sum[half] += s[i];
    }
#pragma unroll
    for (int h = 0; h < 2; h++)
    {
        rows.l[h] = rows.l[h] * alpha[h] + quad_sum(sum[h]);
        rows.m[h] = mnew[h];
    }
    // k-step kt covers accumulator chunks 2kt (a0: row g, a1: row g+8) and 2kt+1 (a2, a3)
#pragma unroll
    for (int kt = 0; kt < FA3_BN / 16; kt++)
    {
        p[kt][0] = pack_bf16x2(s[8 * kt + 0], s[8 * kt + 1]);
        p[kt][1] = pack_bf16x2(s[8 * kt + 2], s[8 * kt + 3]);
        p[kt][2] = pack_bf16x2(s[8 * kt + 4], s[8 * kt + 5]);
        p[kt][3] = pack_bf16x2(s[8 * kt + 6], s[8 * kt + 7]);
    }
}

template <int D>
static __device__ __forceinline__ void fa3_forward(const CUtensorMap* tm_q, const CUtensorMap* tm_k, const CUtensorMap* tm_v, bf16* __restrict__ o,
                                                   float* __restrict__ lse, int heads, int kv_heads, int seq_q, int seq_k, float scale, int causal,
                                                   const int* __restrict__ kv_lens, const unsigned char* __restrict__ key_mask,
                                                   long long o_head_stride, long long o_token_stride, long long o_batch_stride)
{
    constexpr int CH = FA3_CHUNKS(D), KSTEPS = (D + 15) / 16, CHUNK_BYTES = FA3_TILE_BYTES;
    extern __shared__ unsigned char fa3_smem[];
    const unsigned base = (smem_u32(fa3_smem) + 1023u) & ~1023u;
    const unsigned q_smem = base, k_smem = q_smem + FA3_CONSUMERS * CH * CHUNK_BYTES, v_smem = k_smem + FA3_STAGES * CH * CHUNK_BYTES;
    const unsigned bars = base + FA3_BARRIER_OFFSET(D);
    const unsigned q_full = bars, k_full = bars + 8 * FA3_CONSUMERS, v_full = k_full + 8 * FA3_STAGES, kv_empty = v_full + 8 * FA3_STAGES;

    const int h = blockIdx.y, b = blockIdx.z, hk = h / (heads / kv_heads);
    const int q0 = blockIdx.x * (FA3_BM * FA3_CONSUMERS);
    const int kv_len = kv_lens ? max(0, min(kv_lens[b], seq_k)) : seq_k;
    const int offset = seq_k - seq_q;
    // keys the block's last row may see: every consumer walks the same tiles (the ring is shared)
    int k_end = kv_len;
    if (causal) k_end = max(0, min(k_end, min(q0 + FA3_BM * FA3_CONSUMERS, seq_q) + offset));
    const int n_tiles = (k_end + FA3_BN - 1) / FA3_BN;

    const int wg = threadIdx.x / 128;
    if (threadIdx.x == 0)
    {
        for (int c = 0; c < FA3_CONSUMERS; c++) mbar_init(q_full + 8 * c, 1);
        for (int s = 0; s < FA3_STAGES; s++)
        {
            mbar_init(k_full + 8 * s, 1);
            mbar_init(v_full + 8 * s, 1);
            mbar_init(kv_empty + 8 * s, FA3_CONSUMERS * 4);   // one arrival per consumer warp
        }
        fence_proxy_async();
    }
    __syncthreads();

    if (wg == 0)
    {
        // producer: one thread issues every copy; the warpgroup's registers go to the consumers
        setmaxnreg_dec<24>();
        if (threadIdx.x == 0 && n_tiles > 0)
        {
            for (int c = 0; c < FA3_CONSUMERS; c++)
            {
                mbar_arrive_expect_tx(q_full + 8 * c, CH * CHUNK_BYTES);
                for (int ch = 0; ch < CH; ch++)
                    tma_load_4d(q_smem + (c * CH + ch) * CHUNK_BYTES, tm_q, 64 * ch, h, q0 + FA3_BM * c, b, q_full + 8 * c);
            }
            for (int j = 0; j < n_tiles; j++)
            {
                const int s = j % FA3_STAGES;
                const unsigned phase = (unsigned)(j / FA3_STAGES) & 1u;
                mbar_wait(kv_empty + 8 * s, phase ^ 1u);   // the consumers are done with the tile that used this slot
                mbar_arrive_expect_tx(k_full + 8 * s, CH * CHUNK_BYTES);
                for (int ch = 0; ch < CH; ch++)
                    tma_load_4d(k_smem + (s * CH + ch) * CHUNK_BYTES, tm_k, 64 * ch, hk, j * FA3_BN, b, k_full + 8 * s);
                mbar_arrive_expect_tx(v_full + 8 * s, CH * CHUNK_BYTES);
                for (int ch = 0; ch < CH; ch++)
                    tma_load_4d(v_smem + (s * CH + ch) * CHUNK_BYTES, tm_v, 64 * ch, hk, j * FA3_BN, b, v_full + 8 * s);
            }
        }
        return;
    }

    setmaxnreg_inc<240>();
    const int c = wg - 1, tid = threadIdx.x % 128, warp = tid / 32, lane = tid % 32, g = lane / 4, t = lane % 4;
    Fa3Rows rows;
    rows.qi[0] = q0 + FA3_BM * c + 16 * warp + g;
    rows.qi[1] = rows.qi[0] + 8;
    rows.m[0] = rows.m[1] = -MANTIS_INF;
    rows.l[0] = rows.l[1] = 0.0f;
    const float scale_log2 = scale * 1.4426950408889634f;
    const unsigned char* mask_row = key_mask ? key_mask + (i64)b * seq_k : nullptr;

    // descriptors: Q and K K-major with the 128-byte swizzle (8-row groups 1024 bytes apart; a k-step of 16
    // columns is 32 bytes into the 128-byte row), V MN-major (64-column chunks CHUNK_BYTES apart, 8-key groups
    // 1024 bytes apart, a k-step of 16 keys 2048 bytes on)
    const unsigned q_tile = q_smem + c * CH * CHUNK_BYTES;
    auto desc_q = [&](int kk) { return wgmma_desc(q_tile + (kk / 4) * CHUNK_BYTES + (kk % 4) * 32, 16, 1024, 1); };
    auto desc_k = [&](int s, int kk) { return wgmma_desc(k_smem + (s * CH + kk / 4) * CHUNK_BYTES + (kk % 4) * 32, 16, 1024, 1); };
    auto desc_v = [&](int s, int kt) { return wgmma_desc(v_smem + s * CH * CHUNK_BYTES + kt * 2048, CHUNK_BYTES, 1024, 1); };

    float acc_o[D / 2];
#pragma unroll
    for (int i = 0; i < D / 2; i++) acc_o[i] = 0.0f;
    float acc_s[FA3_BN / 2];
    unsigned p[FA3_BN / 16][4], p_next[FA3_BN / 16][4];
    float alpha[2];

    // Ping-pong (FA3's inter-warpgroup schedule): named barrier 1 + c is this consumer's turn to issue GEMMs, 2 - c
    // the other's. A consumer waits for its turn, issues, and hands the turn over, so the tensor cores run one
    // warpgroup's GEMMs while the other does its softmax. Each consumer issues at n_tiles + 1 points (S_0; S_j with
    // P_{j-1} V_{j-1}; the last P V); consumer 1 opens consumer 0's first turn and skips its own last hand-over, so
    // every barrier phase completes and none is left open at exit.
    const unsigned my_turn = 1 + c, their_turn = 2 - c;
    auto turn_begin = [&]() { named_bar_sync(my_turn, FA3_TURN_THREADS); };
    auto turn_end = [&](bool last) { if (!(last && c == 1)) named_bar_arrive(their_turn, FA3_TURN_THREADS); };

    auto issue_qk = [&](int j) {
        const int s = j % FA3_STAGES;
        mbar_wait(k_full + 8 * s, (unsigned)(j / FA3_STAGES) & 1u);
        wgmma_fence();
        wgmma_ss_m64n64<0>(acc_s, desc_q(0), desc_k(s, 0));   // scale-d 0: S starts from this product
#pragma unroll
        for (int kk = 1; kk < KSTEPS; kk++) wgmma_ss_m64n64<1>(acc_s, desc_q(kk), desc_k(s, kk));
        wgmma_commit();
    };
    auto issue_pv = [&](int j, unsigned (*pp)[4]) {
        const int s = j % FA3_STAGES;
        mbar_wait(v_full + 8 * s, (unsigned)(j / FA3_STAGES) & 1u);
#pragma unroll
        for (int kt = 0; kt < FA3_BN / 16; kt++) WgmmaRs<D>::run(acc_o, pp[kt], desc_v(s, kt));
        wgmma_commit();
    };
    auto release = [&](int j) {
        __syncwarp();   // every lane's wgmma reads of this slot are done
        if (lane == 0) mbar_arrive(kv_empty + 8 * (j % FA3_STAGES));
    };

    if (n_tiles > 0)
    {
        if (c == 1) named_bar_arrive(1, FA3_TURN_THREADS);   // consumer 0 issues first
        mbar_wait(q_full + 8 * c, 0);
        turn_begin();
        issue_qk(0);
        turn_end(false);
        wgmma_wait<0>();
        fa3_softmax(acc_s, p, rows, alpha, 0, kv_len, offset, causal, mask_row, scale_log2);
        for (int j = 1; j < n_tiles; j++)
        {
            turn_begin();
            issue_qk(j);          // S_j = Q K_j^T on the tensor cores ...
            issue_pv(j - 1, p);   // ... then O += P_{j-1} V_{j-1}
            turn_end(false);      // the other consumer's GEMMs next, while this one runs the softmax
            wgmma_wait<1>();      // S_j is ready; P V still runs while the softmax of S_j does
            fa3_softmax(acc_s, p_next, rows, alpha, j * FA3_BN, kv_len, offset, causal, mask_row, scale_log2);
            wgmma_wait<0>();
            release(j - 1);
#pragma unroll
            for (int i = 0; i < D / 2; i++) acc_o[i] *= alpha[(i >> 1) & 1];
#pragma unroll
            for (int kt = 0; kt < FA3_BN / 16; kt++)
#pragma unroll
                for (int r = 0; r < 4; r++) p[kt][r] = p_next[kt][r];
        }
        turn_begin();
        wgmma_fence();
        issue_pv(n_tiles - 1, p);
        turn_end(true);
        wgmma_wait<0>();
        release(n_tiles - 1);
    }

    // O = acc / l to bf16; lse = m * ln 2 + ln l
#pragma unroll
    for (int hh = 0; hh < 2; hh++)
    {
        const int qi = rows.qi[hh];
        if (qi >= seq_q) continue;
        const float inv = rows.l[hh] > 0.0f ? 1.0f / rows.l[hh] : 0.0f;
        bf16* orow = o + (i64)b * o_batch_stride + (i64)qi * o_token_stride + (i64)h * o_head_stride;
#pragma unroll
        for (int i = 0; i < D / 2; i++)
        {
            if (((i >> 1) & 1) != hh) continue;
            orow[8 * (i >> 2) + 2 * t + (i & 1)] = f32_to_bf16(acc_o[i] * inv);
        }
        if (t == 0)
            lse[((i64)b * heads + h) * seq_q + qi] = rows.l[hh] > 0.0f ? rows.m[hh] * 0.6931471805599453f + logf(rows.l[hh]) : -MANTIS_INF;
    }
}
#endif

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define FA3_BODY(D) fa3_forward<D>(&tm_q, &tm_k, &tm_v, o, lse, heads, kv_heads, seq_q, seq_k, scale, causal, kv_lens, key_mask, o_head_stride, o_token_stride, o_batch_stride)
#else
#define FA3_BODY(D) __trap()   // built for another architecture: the launcher selects this kernel only on sm_90a
#endif

#define FA3_ENTRY(D)                                                                                                          \
    extern "C" __global__ void __launch_bounds__(FA3_THREADS, 1) flash_attention_sm90_fwd_d##D(                              \
        const __grid_constant__ CUtensorMap tm_q, const __grid_constant__ CUtensorMap tm_k, const __grid_constant__ CUtensorMap tm_v, \
        bf16* __restrict__ o, float* __restrict__ lse, int heads, int kv_heads, int seq_q, int seq_k, float scale, int causal, \
        const int* __restrict__ kv_lens, const unsigned char* __restrict__ key_mask, long long o_head_stride, long long o_token_stride, \
        long long o_batch_stride) \
    { FA3_BODY(D); }
FA3_ENTRY(64)
FA3_ENTRY(72)
FA3_ENTRY(80)
FA3_ENTRY(96)
FA3_ENTRY(128)
