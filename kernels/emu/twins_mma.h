// Emulated twins of the sm_80 tensor-core path: mma.sync (bf16 in, f32 accumulate), ldmatrix, cp.async and the
// generic -> shared address conversion they need. Included by ptx_twins.h (same rules: one function per mnemonic,
// outputs by reference, inputs by value, operand order as in the instruction).
//
// Warp-wide instructions: every lane of the warp calls the twin. A lane publishes its operand registers in a
// per-warp exchange slot, __syncwarp() (the runtime's collective: it fails the launch if a lane of the warp never
// arrives, as mma.sync.aligned requires), reads the other lanes' registers, computes its own outputs from the PTX
// ISA fragment tables, and __syncwarp()s again before the slot can be reused. Two collectives per instruction
// instead of one shuffle per gathered register keeps the emulator fast enough for the CI checks.
//
// Fragment tables (PTX ISA, "Matrix Fragments for mma.m16n8k16 / m16n8k8 with floating point type";
// groupID g = lane / 4, threadID_in_group t = lane % 4; a .b32 register holds two 16-bit elements, the lower
// index in the low half):
//   m16n8k16 A (16x16, row): a_i, i in 0..7, register i/2:  row = g + 8 * ((i / 2) % 2), col = 2t + (i % 2) + 8 * (i / 4)
//            B (16x8, col):  b_i, i in 0..3, register i/2:  row (k) = 2t + (i % 2) + 8 * (i / 2), col (n) = g
//   m16n8k8  A (16x8):       a_i, i in 0..3, register i/2:  row = g + 8 * (i / 2), col = 2t + (i % 2)
//            B (8x8):        b_i, i in 0..1, register 0:    row (k) = 2t + i, col (n) = g
//   C, D (16x8 f32):         c_i, i in 0..3:                row = g + 8 * (i / 2), col = 2t + (i % 2)
// Products of bf16 values are exact in f32; the sum is accumulated in f32 in k order from c (the hardware's
// internal order is unspecified; the fragment tests use small integers, exact in any order).
//
// ldmatrix.m8n8.x{1,2,4}.b16: matrix m's 8 row addresses come from lanes 8m..8m+7 (x1: lanes 0-7, x2: 0-15);
// lane l receives register m = elements (row l/4, cols 2(l%4), 2(l%4)+1) of matrix m; with .trans it receives
// (rows 2(l%4), 2(l%4)+1, col l/4), i.e. the same positions of the transposed matrix.
//
// cp.async: the copy is deferred, not done at issue. A thread's copies are queued in commit groups and performed
// when cp.async.wait_group N retires them (all but the newest N groups; wait_group 0 = all). At issue the
// destination is filled with 0xFF (a bf16 / f32 NaN), so a kernel that reads the tile before its wait_group, or
// before the barrier that publishes other threads' copies, reads NaNs and fails its check. Copies a block left
// pending at its end are dropped (as on the device, where their data would arrive in freed shared memory).
#pragma once
#ifdef __CUDA_ARCH__   // kernel modules only (emu_shim.h): the runtime's own sources that include ptx_twins.h have no warps
#include <cstring>
#include <vector>

namespace mantis_ptx
{
namespace detail
{
// One warp's published registers (up to 16 words per lane) for the instruction being executed.
struct WarpExchange { unsigned long long w[32][16]; };

static inline WarpExchange& warp_slot()
{
    static thread_local WarpExchange slots[32];   // blocks run one at a time on the launching thread
    return slots[__mantis_cur->warp & 31];
}

static inline unsigned int lane_id() { return __mantis_cur->lane; }

static inline float bf16_lo(unsigned int r) { return __uint_as_float(r << 16); }
static inline float bf16_hi(unsigned int r) { return __uint_as_float(r & 0xffff0000u); }
static inline float bf16_half(unsigned int r, int hi) { return hi ? bf16_hi(r) : bf16_lo(r); }

// The value of element (row, col) of the 16 x K A operand (K = 16 or 8) from the published registers.
static inline float a_elem(const WarpExchange& x, int base, int k, int row, int col)
{
    const int g = row % 8, t = (col % 8) / 2, half = col % 2;
    const int reg = (row / 8) + (k == 16 ? 2 * (col / 8) : 0);
    return bf16_half((unsigned int)x.w[g * 4 + t][base + reg], half);
}

// Element (k row, n col) of the K x 8 B operand.
static inline float b_elem(const WarpExchange& x, int base, int row, int col)
{
    const int t = (row % 8) / 2, half = row % 2, reg = row / 8;
    return bf16_half((unsigned int)x.w[col * 4 + t][base + reg], half);
}

// The warp-wide product for this lane's four D elements. Slots: A registers at 0.., B after them.
template <int K>
static inline void mma_bf16(float& d0, float& d1, float& d2, float& d3, const unsigned int* a, const unsigned int* b,
                            float c0, float c1, float c2, float c3)
{
    constexpr int NA = K / 4, NB = K / 8;
    WarpExchange& x = warp_slot();
    const unsigned int l = lane_id();
    for (int i = 0; i < NA; i++) x.w[l][i] = a[i];
    for (int i = 0; i < NB; i++) x.w[l][NA + i] = b[i];
    __syncwarp();
    const int g = (int)l / 4, t = (int)l % 4;
    const float c[4] = { c0, c1, c2, c3 };
    float d[4];
    for (int i = 0; i < 4; i++)
    {
        const int row = g + 8 * (i / 2), col = 2 * t + (i % 2);
        float acc = c[i];
        for (int kk = 0; kk < K; kk++) acc = fmaf(a_elem(x, 0, K, row, kk), b_elem(x, NA, kk, col), acc);
        d[i] = acc;
    }
    __syncwarp();
    d0 = d[0]; d1 = d[1]; d2 = d[2]; d3 = d[3];
}

// ldmatrix: lane l gets register m of NM matrices; each lane of 0..8*NM-1 published one row address.
template <int NM, bool Trans>
static inline void ldmatrix(unsigned int* r, unsigned long long addr)
{
    WarpExchange& x = warp_slot();
    const unsigned int l = lane_id();
    x.w[l][0] = addr;
    __syncwarp();
    for (int m = 0; m < NM; m++)
    {
        unsigned short e[2];
        for (int j = 0; j < 2; j++)
        {
            const int row = Trans ? 2 * (int)(l % 4) + j : (int)(l / 4);
            const int col = Trans ? (int)(l / 4) : 2 * (int)(l % 4) + j;
            const unsigned long long rowaddr = x.w[8 * m + row][0];
            if (rowaddr % 16 != 0) __mantis_api->fail("ldmatrix: a row address is not 16-byte aligned");
            std::memcpy(&e[j], (const void*)(rowaddr + 2u * (unsigned)col), 2);
        }
        r[m] = (unsigned int)e[0] | ((unsigned int)e[1] << 16);
    }
    __syncwarp();
}

// The deferred cp.async copies of one thread.
struct AsyncCopy { unsigned long long dst; const void* src; unsigned int bytes, src_bytes; int group; };
struct AsyncQueue
{
    mantis_uint3 block{ ~0u, ~0u, ~0u };
    void* dyn = nullptr;
    int open_group = 0;                 // the group new copies join (closed by commit_group)
    std::vector<AsyncCopy> copies;
};

static inline AsyncQueue& async_queue()
{
    static thread_local AsyncQueue queues[1024];
    AsyncQueue& q = queues[__mantis_cur->linear & 1023];
    const mantis_uint3 b = blockIdx;   // the shim's macro for the running fiber's block
    if (q.block.x != b.x || q.block.y != b.y || q.block.z != b.z || q.dyn != __mantis_cur->dynamic_smem)
    {
        q.copies.clear();   // left pending by a thread of an earlier block: dropped
        q.open_group = 0;
        q.block = b;
        q.dyn = __mantis_cur->dynamic_smem;
    }
    return q;
}

static inline void cp_async(unsigned long long dst, const void* src, unsigned int bytes, unsigned int src_bytes)
{
    if (dst % bytes != 0 || (unsigned long long)src % bytes != 0) __mantis_api->fail("cp.async: an address is not aligned to the copy size");
    if (src_bytes > bytes) __mantis_api->fail("cp.async: src-size larger than cp-size");
    std::memset((void*)dst, 0xff, bytes);
    AsyncQueue& q = async_queue();
    q.copies.push_back(AsyncCopy{ dst, src, bytes, src_bytes, q.open_group });
}
}   // namespace detail

// mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {d0..d3}, {a0..a3}, {b0, b1}, {c0..c3}
static inline void mma_sync_aligned_m16n8k16_row_col_f32_bf16_bf16_f32(
    float& d0, float& d1, float& d2, float& d3, unsigned int a0, unsigned int a1, unsigned int a2, unsigned int a3,
    unsigned int b0, unsigned int b1, float c0, float c1, float c2, float c3)
{
    const unsigned int a[4] = { a0, a1, a2, a3 }, b[2] = { b0, b1 };
    detail::mma_bf16<16>(d0, d1, d2, d3, a, b, c0, c1, c2, c3);
}

// mma.sync.aligned.m16n8k8.row.col.f32.bf16.bf16.f32 {d0..d3}, {a0, a1}, {b0}, {c0..c3}
static inline void mma_sync_aligned_m16n8k8_row_col_f32_bf16_bf16_f32(
    float& d0, float& d1, float& d2, float& d3, unsigned int a0, unsigned int a1, unsigned int b0,
    float c0, float c1, float c2, float c3)
{
    const unsigned int a[2] = { a0, a1 }, b[1] = { b0 };
    detail::mma_bf16<8>(d0, d1, d2, d3, a, b, c0, c1, c2, c3);
}

// ldmatrix.sync.aligned.m8n8.x{1,2,4}{.trans}.shared.b16 {r..}, [addr]   (addr: a shared-space address)
static inline void ldmatrix_sync_aligned_m8n8_x4_shared_b16(unsigned int& r0, unsigned int& r1, unsigned int& r2, unsigned int& r3, unsigned long long addr)
{
    unsigned int r[4];
    detail::ldmatrix<4, false>(r, addr);
    r0 = r[0]; r1 = r[1]; r2 = r[2]; r3 = r[3];
}
static inline void ldmatrix_sync_aligned_m8n8_x4_trans_shared_b16(unsigned int& r0, unsigned int& r1, unsigned int& r2, unsigned int& r3, unsigned long long addr)
{
    unsigned int r[4];
    detail::ldmatrix<4, true>(r, addr);
    r0 = r[0]; r1 = r[1]; r2 = r[2]; r3 = r[3];
}
static inline void ldmatrix_sync_aligned_m8n8_x2_shared_b16(unsigned int& r0, unsigned int& r1, unsigned long long addr)
{
    unsigned int r[2];
    detail::ldmatrix<2, false>(r, addr);
    r0 = r[0]; r1 = r[1];
}
static inline void ldmatrix_sync_aligned_m8n8_x2_trans_shared_b16(unsigned int& r0, unsigned int& r1, unsigned long long addr)
{
    unsigned int r[2];
    detail::ldmatrix<2, true>(r, addr);
    r0 = r[0]; r1 = r[1];
}
static inline void ldmatrix_sync_aligned_m8n8_x1_shared_b16(unsigned int& r0, unsigned long long addr)
{
    detail::ldmatrix<1, false>(&r0, addr);
}
static inline void ldmatrix_sync_aligned_m8n8_x1_trans_shared_b16(unsigned int& r0, unsigned long long addr)
{
    detail::ldmatrix<1, true>(&r0, addr);
}

// cvt.rn.bf16x2.f32 d, a, b: a -> the upper half, b -> the lower half (each rounded as cvt.rn.bf16.f32).
static inline void cvt_rn_bf16x2_f32(unsigned int& d, float a, float b)
{
    unsigned short hi, lo;
    cvt_rn_bf16_f32(hi, a);
    cvt_rn_bf16_f32(lo, b);
    d = ((unsigned int)hi << 16) | lo;
}

// cvta.to.shared.u64 d, a: the emulator's shared space is the host address space, so the address is unchanged.
static inline void cvta_to_shared_u64(unsigned long long& d, const void* a) { d = (unsigned long long)a; }

// cp.async.{ca,cg}.shared.global [dst], [src], 16, src_size: 16 bytes, of which the first src_size come from
// src and the rest are zero (src_size 0 = a zero fill that reads nothing).
static inline void cp_async_cg_shared_global(unsigned long long dst, const void* src, unsigned int src_size)
{
    detail::cp_async(dst, src, 16, src_size);
}
static inline void cp_async_ca_shared_global(unsigned long long dst, const void* src, unsigned int src_size)
{
    detail::cp_async(dst, src, 16, src_size);
}

// cp.async.commit_group: closes the open group of this thread's copies (an empty group is legal).
static inline void cp_async_commit_group()
{
    detail::async_queue().open_group++;
}

// cp.async.wait_group N: performs every copy of this thread except those of the newest N committed groups (and
// of the open one, which wait_group does not cover either).
static inline void cp_async_wait_group(int n)
{
    detail::AsyncQueue& q = detail::async_queue();
    const int limit = q.open_group - n;   // groups < limit are complete
    std::vector<detail::AsyncCopy> keep;
    for (const auto& c : q.copies)
    {
        if (c.group >= limit) { keep.push_back(c); continue; }
        std::memset((void*)c.dst, 0, c.bytes);
        if (c.src_bytes) std::memcpy((void*)c.dst, c.src, c.src_bytes);
    }
    q.copies.swap(keep);
}
}   // namespace mantis_ptx
#endif   // __CUDA_ARCH__
