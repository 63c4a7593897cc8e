// Emulated twins of the sm_90a instructions of the FA3-design attention (kernels/tma_wgmma_sm90.cuh wraps each
// in its own function): mbarrier, cp.async.bulk.tensor (TMA), fence.proxy.async, wgmma.*, setmaxnreg, named
// barriers (bar.sync / bar.arrive with a thread count).
// Included by ptx_twins.h; written from the PTX ISA (sections "mbarrier", "cp.async.bulk.tensor",
// "Asynchronous Warpgroup Level Matrix Multiply-Accumulate" with its matrix descriptor and canonical layouts) and
// the CUDA driver's cuTensorMapEncodeTiled contract.
//
// Shared addresses: the 32-bit shared-window addresses the instructions take are offsets into the block's dynamic
// shared memory (__cvta_generic_to_shared in emu_shim.h); swizzles are computed on those address bits, as the
// hardware computes them on shared-window address bits.
//
// mbarrier: the 8-byte object holds (pending arrivals, expected arrivals, phase bit, pending transaction bytes) in
// an emulator encoding with a marker, so an uninitialised (NaN-poisoned) barrier is reported. try_wait.parity
// spins through the runtime's spin_wait scheduling point until the phase with the given parity has completed (it
// may return false on the device after a time limit; here it returns only once true, which is one allowed
// behaviour); a wait nobody can end is a deadlock error naming kernel, block and thread.
//
// cp.async.bulk.tensor: copies the whole box at issue (zero fill out of bounds, or NaN with
// CU_TENSOR_MAP_FLOAT_OOB_FILL_NAN_REQUEST_ZERO_FMA), swizzled as the map says, then performs complete_tx of the
// box's bytes on the mbarrier (the full box, out-of-bounds elements included, as the device counts them).
//
// wgmma.mma_async is asynchronous as on the device: the operation is recorded at issue (its A registers captured,
// shared memory read later), its accumulator registers are set to NaN until a wgmma.wait_group retires its
// group, and then it is computed in issue order: D = (scale-d ? D : 0) + A * B with each A*B product exact and the
// sum of one k16 step plus D rounded once to fp32. Reading an accumulator before the wait, overwriting shared
// memory an in-flight wgmma reads, a missing commit_group, or an mma_async without a wgmma.fence since the last
// wait_group therefore give wrong results or an error here as they can on the device. The warpgroup-wide
// ".sync.aligned" is checked per warp (the register-A form gathers the quad's fragments with a warp collective).
#pragma once
#if defined(__CUDA_ARCH__)   // in a kernel module (emu_shim.h); the emulator library's own sources skip these
#include <cstring>
#include <utility>
#include <vector>

namespace mantis_ptx
{
namespace sm90
{
static char g_msg[768];

template <class... A> [[noreturn]] static inline void fail(const char* f, A... a)
{
    std::snprintf(g_msg, sizeof g_msg, f, a...);
    __mantis_api->fail(g_msg);
    __builtin_unreachable();
}

// [addr, addr + bytes) of the shared window, checked against the block's dynamic shared memory.
static inline unsigned char* smem(unsigned long long addr, unsigned long long bytes, const char* what)
{
    if (addr + bytes > __mantis_cur->dynamic_smem_bytes)
        fail("%s: shared address 0x%llx (+%llu bytes) is outside the block's %u bytes of dynamic shared memory", what, addr, bytes,
             __mantis_cur->dynamic_smem_bytes);
    return static_cast<unsigned char*>(__mantis_cur->dynamic_smem) + addr;
}

// ---- mbarrier ----
// bits 0-19 pending arrivals, 20-39 expected arrivals, 40 phase, 41-61 pending tx bytes (signed), 62-63 marker 0b10
constexpr unsigned long long kMarker = 2ull << 62;
struct Barrier { unsigned long long* word; long long pending, expected, tx; unsigned phase; };

static inline Barrier barrier_at(unsigned addr, const char* what)
{
    if (addr % 8) fail("%s: mbarrier address 0x%x is not 8-byte aligned", what, addr);
    auto* w = reinterpret_cast<unsigned long long*>(smem(addr, 8, what));
    if ((*w >> 62) != 2ull) fail("%s: the mbarrier at shared address 0x%x was never initialised (mbarrier.init)", what, addr);
    Barrier b{ w, (long long)(*w & 0xfffff), (long long)((*w >> 20) & 0xfffff), 0, (unsigned)((*w >> 40) & 1) };
    long long tx = (long long)((*w >> 41) & 0x1fffff);
    b.tx = tx >= (1 << 20) ? tx - (1 << 21) : tx;
    return b;
}

static inline void barrier_store(const Barrier& b)
{
    *b.word = kMarker | (unsigned long long)b.pending | ((unsigned long long)b.expected << 20) | ((unsigned long long)b.phase << 40) |
              (((unsigned long long)b.tx & 0x1fffff) << 41);
}

// The phase completes when every expected arrival has arrived and every expected transaction byte has landed.
static inline void barrier_maybe_complete(Barrier& b)
{
    if (b.pending == 0 && b.tx == 0)
    {
        b.phase ^= 1u;
        b.pending = b.expected;
    }
}

static inline void barrier_tx(Barrier& b, long long bytes, const char* what)
{
    const long long tx = b.tx + bytes;
    if (tx >= (1 << 20) || tx < -(1 << 20)) fail("%s: mbarrier transaction count %lld is outside the range the ISA allows (2^20 - 1)", what, tx);
    b.tx = tx;
}

static inline void barrier_complete_tx(unsigned addr, long long bytes, const char* what)
{
    Barrier b = barrier_at(addr, what);
    barrier_tx(b, -bytes, what);
    barrier_maybe_complete(b);
    barrier_store(b);
}

static inline unsigned long long barrier_arrive(unsigned addr, long long expect_tx, const char* what)
{
    Barrier b = barrier_at(addr, what);
    const unsigned long long state = (unsigned long long)b.phase;   // the phase arrived at (an opaque token)
    if (expect_tx) barrier_tx(b, expect_tx, what);
    if (b.pending == 0) fail("%s: more arrivals than the mbarrier at 0x%x expects in this phase", what, addr);
    b.pending--;
    barrier_maybe_complete(b);
    barrier_store(b);
    return state;
}

// ---- TMA: CUtensorMap as the emulated cuTensorMapEncodeTiled writes it (driver.cpp), 128 bytes ----
struct TensorMap
{
    unsigned int magic;                 // kTensorMapMagic
    unsigned char dtype, rank, interleave, swizzle, oob_fill, l2, elem_bytes, pad;
    unsigned long long global;          // device address
    unsigned int dim[5];
    unsigned long long stride[4];       // bytes between consecutive indices of dims 1..rank-1
    unsigned short box[5];
    unsigned char estride[5];
};
constexpr unsigned int kTensorMapMagic = 0x4d4d5454u;   // "TTMM"
static_assert(sizeof(TensorMap) <= 128, "a CUtensorMap is 128 bytes");

// 128B / 64B / 32B swizzle: the 16-byte chunk index (address bits 4-6 / 4-5 / 4) XOR the bits above 128 bytes
// (bits 7-9 / 7-8 / 7). Modes as in the wgmma descriptor's encoding: 1 = 128B, 2 = 64B, 3 = 32B.
static inline unsigned long long swizzle_desc_mode(unsigned long long a, unsigned mode)
{
    const unsigned mask = mode == 1 ? 7u : mode == 2 ? 3u : mode == 3 ? 1u : 0u;
    return a ^ (((a >> 7) & mask) << 4);
}

static inline void tma_load(unsigned dst, unsigned long long map_addr, const int* c, int rank, unsigned mbar, const char* what)
{
    const TensorMap& m = *reinterpret_cast<const TensorMap*>(map_addr);
    if (m.magic != kTensorMapMagic) fail("%s: the tensor map at 0x%llx was not made by cuTensorMapEncodeTiled", what, map_addr);
    if (m.rank != rank) fail("%s: a %dd copy through a tensor map of rank %d", what, rank, (int)m.rank);
    if (dst % 128) fail("%s: shared destination 0x%x is not 128-byte aligned", what, dst);
    const unsigned eb = m.elem_bytes;
    unsigned long long box_elems = 1;
    for (int d = 0; d < rank; d++) box_elems *= m.box[d];
    unsigned char* base = smem(dst, box_elems * eb, what);
    // the CU_TENSOR_MAP_SWIZZLE_* enum (0 none, 1 32B, 2 64B, 3 128B) -> the descriptor's mode numbering
    const unsigned mode = m.swizzle == 3 ? 1u : m.swizzle == 2 ? 2u : m.swizzle == 1 ? 3u : 0u;
    unsigned idx[5] = { 0, 0, 0, 0, 0 };
    for (unsigned long long lin = 0; lin < box_elems; lin++)
    {
        unsigned long long rem = lin;
        bool in = true;
        unsigned long long src = m.global;
        for (int d = 0; d < rank; d++)
        {
            idx[d] = (unsigned)(rem % m.box[d]);
            rem /= m.box[d];
            const long long g = (long long)c[d] + idx[d];
            if (g < 0 || g >= (long long)m.dim[d]) in = false;
            else src += (unsigned long long)g * (d == 0 ? eb : m.stride[d - 1]);
        }
        unsigned char* to = static_cast<unsigned char*>(__mantis_cur->dynamic_smem) + swizzle_desc_mode(dst + lin * eb, mode);
        if (in) std::memcpy(to, reinterpret_cast<const void*>(src), eb);
        else if (m.oob_fill == 1) { const unsigned int nan = 0x7fffffffu; std::memcpy(to, &nan, eb); }
        else std::memset(to, 0, eb);
    }
    (void)base;
    barrier_complete_tx(mbar, (long long)(box_elems * eb), what);
}

// ---- wgmma ----
struct WgmmaOp
{
    int n;                      // N of m64nNk16
    bool a_regs;                // A from registers (captured at issue) or from a shared-memory descriptor
    unsigned long long desc_a, desc_b;
    int scale_d, neg_a, neg_b, trans_a, trans_b;
    float a[2][16];             // register A: this thread's two rows (g, g + 8), k = 0..15
    std::vector<float*> d;      // this thread's accumulator registers, N / 2 of them
};

struct WgmmaThread
{
    unsigned long long block_stamp = ~0ull;
    bool fenced = false;
    std::vector<WgmmaOp> open;                  // issued, not yet committed
    std::vector<std::vector<WgmmaOp>> groups;   // committed, oldest first
    std::vector<std::pair<float*, float>> shadow;   // in-flight accumulators: register -> its true value
    unsigned long long issued = 0;
};
static WgmmaThread g_wg[1024];
static unsigned int g_rs_exchange[2][1024][4];   // register-A fragments passed to the quad (double-buffered)

static inline unsigned long long block_stamp() { return __mantis_cur->block_serial; }

static inline WgmmaThread& me()
{
    WgmmaThread& w = g_wg[__mantis_cur->linear];
    const unsigned long long s = block_stamp();
    if (w.block_stamp != s) w = WgmmaThread{ s };   // a new block (or launch): nothing in flight carries over
    return w;
}

static inline float bf16_at(const unsigned char* p)
{
    unsigned short h;
    std::memcpy(&h, p, 2);
    const unsigned int u = (unsigned int)h << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

// The shared-memory address of element (mn, k) (mn: row of A / column of B; k: 0..15) of a bf16 operand, from its
// matrix descriptor (start address, leading and stride byte offsets, swizzle mode; each field in 16-byte units)
// and major-ness, following the canonical layouts (T = 8 bf16 = 16 bytes, W = swizzle width in bytes):
//   K-major,  no swizzle: ((8,m),(T,2)) : ((1T,SBO),(1,LBO))    8x16-byte core matrices, K halves LBO apart
//   K-major,  swizzle W:  ((8,m),(T,2)) : ((W/2,SBO),(1,T))      rows W bytes apart, 8-row groups SBO apart
//   MN-major, no swizzle: ((T,1,m),(8,k)) : ((1,T,SBO),(1T,LBO)) 8-element MN runs, k rows 16 bytes apart
//   MN-major, swizzle W:  ((T,W/16,m),(8,k)) : ((1,T,LBO),(W/2,SBO)) W/2-element MN runs LBO apart, k rows W apart
// then the swizzle of the address bits (swizzle_desc_mode).
static inline unsigned long long operand_addr(unsigned long long desc, bool mn_major, int mn, int k)
{
    const unsigned long long start = (desc & 0x3fff) << 4, lbo = ((desc >> 16) & 0x3fff) << 4, sbo = ((desc >> 32) & 0x3fff) << 4;
    const unsigned mode = (unsigned)(desc >> 62) & 3u;
    const unsigned w = mode == 1 ? 128u : mode == 2 ? 64u : mode == 3 ? 32u : 0u;
    unsigned long long off;
    if (!mn_major)
        off = mode == 0 ? (mn % 8) * 16ull + (mn / 8) * sbo + (k % 8) * 2ull + (k / 8) * lbo
                        : (mn % 8) * (unsigned long long)w + (mn / 8) * sbo + k * 2ull;
    else
        off = mode == 0 ? (mn % 8) * 2ull + (mn / 8) * sbo + (k % 8) * 16ull + (k / 8) * lbo
                        : (mn % (w / 2)) * 2ull + (mn / (w / 2)) * lbo + (k % 8) * (unsigned long long)w + (k / 8) * sbo;
    return swizzle_desc_mode(start + off, mode);
}

static inline float operand(unsigned long long desc, bool mn_major, int mn, int k)
{
    return bf16_at(smem(operand_addr(desc, mn_major, mn, k), 2, "wgmma.mma_async operand"));
}

static inline float* shadow_of(WgmmaThread& w, float* r)
{
    for (auto& s : w.shadow) if (s.first == r) return &s.second;
    return nullptr;
}

// Accumulator element i of this thread: row 16 * (warp in warpgroup) + lane / 4 (+ 8 for i % 4 >= 2),
// column 8 * (i / 4) + 2 * (lane % 4) + i % 2 (the PTX ISA's m64nNk16 D fragment layout).
static inline void execute(WgmmaThread& w, WgmmaOp& op)
{
    const unsigned lane = __mantis_cur->lane, wig = __mantis_cur->warp % 4;
    for (int i = 0; i < op.n / 2; i++)
    {
        const int r_local = (int)(lane / 4) + 8 * ((i >> 1) & 1);
        const int row = 16 * (int)wig + r_local, col = 8 * (i >> 2) + 2 * (int)(lane % 4) + (i & 1);
        float* acc = shadow_of(w, op.d[i]);
        double sum = op.scale_d ? (double)*acc : 0.0;
        for (int k = 0; k < 16; k++)
        {
            const float a = op.a_regs ? op.a[r_local / 8][k] : operand(op.desc_a, op.trans_a != 0, row, k);
            const float b = operand(op.desc_b, op.trans_b != 0, col, k);
            sum += (double)(op.neg_a * a) * (double)(op.neg_b * b);
        }
        *acc = (float)sum;
    }
}

static inline void issue(WgmmaOp op, float** d)
{
    WgmmaThread& w = me();
    if (!w.fenced) fail("wgmma.mma_async without a wgmma.fence since the last wgmma.wait_group (registers it reads may not be ready)");
    if ((op.n % 8) || op.n < 8 || op.n > 256) fail("wgmma.mma_async: N = %d is not a multiple of 8 in 8..256", op.n);
    if (op.scale_d != 0 && op.scale_d != 1) fail("wgmma.mma_async: scale-d must be 0 or 1");
    op.d.assign(d, d + op.n / 2);
    for (float* r : op.d)
        if (!shadow_of(w, r))
        {
            w.shadow.push_back({ r, *r });
            const unsigned int nan = 0x7fc00000u;
            std::memcpy(r, &nan, 4);   // undefined until the wait: reading it early shows
        }
    w.open.push_back(std::move(op));
    w.issued++;
}

static inline void wait(int keep)
{
    WgmmaThread& w = me();
    while ((int)w.groups.size() > keep)
    {
        for (auto& op : w.groups.front()) execute(w, op);
        w.groups.erase(w.groups.begin());
    }
    // registers no pending operation writes get their values back
    for (size_t s = 0; s < w.shadow.size();)
    {
        bool busy = false;
        for (auto& g : w.groups) for (auto& op : g) for (float* r : op.d) busy |= r == w.shadow[s].first;
        for (auto& op : w.open) for (float* r : op.d) busy |= r == w.shadow[s].first;
        if (busy) { s++; continue; }
        *w.shadow[s].first = w.shadow[s].second;
        w.shadow.erase(w.shadow.begin() + (long)s);
    }
    w.fenced = false;
}

// Splits a twin's parameter pack: the first N/2 are the accumulator registers (float&), the rest values.
template <int N, class... T> static inline void mma_entry(T&&... args)
{
    float* d[N / 2];
    unsigned long long v[sizeof...(T)];
    int nd = 0, nv = 0;
    auto take = [&](auto&& x) {
        if constexpr (std::is_same<std::remove_cv_t<std::remove_reference_t<decltype(x)>>, float>::value && std::is_lvalue_reference<decltype(x)>::value)
        {
            if (nd < N / 2) { d[nd++] = &x; return; }
        }
        v[nv++] = (unsigned long long)x;
    };
    (take(std::forward<T>(args)), ...);
    if (nd != N / 2) fail("wgmma.mma_async m64n%dk16: %d accumulator registers, want %d", N, nd, N / 2);
    WgmmaOp op{};
    op.n = N;
    if (nv == 7)   // a-desc, b-desc, scale-d, imm-scale-a, imm-scale-b, imm-trans-a, imm-trans-b
    {
        op.a_regs = false;
        op.desc_a = v[0]; op.desc_b = v[1]; op.scale_d = (int)v[2]; op.neg_a = (int)(long long)v[3]; op.neg_b = (int)(long long)v[4];
        op.trans_a = (int)v[5]; op.trans_b = (int)v[6];
    }
    else if (nv == 9)   // a0..a3 (bf16x2), b-desc, scale-d, imm-scale-a, imm-scale-b, imm-trans-b
    {
        op.a_regs = true;
        op.desc_b = v[4]; op.scale_d = (int)v[5]; op.neg_a = (int)(long long)v[6]; op.neg_b = (int)(long long)v[7]; op.trans_b = (int)v[8];
        // the quad (lanes 4g..4g+3) holds rows g and g+8 of this warp's 16 rows: a0 (g, 2t..2t+1),
        // a1 (g+8, 2t..), a2 (g, 2t+8..), a3 (g+8, 2t+8..)
        WgmmaThread& w = me();
        const unsigned buf = (unsigned)(w.issued & 1), lin = __mantis_cur->linear;
        for (int r = 0; r < 4; r++) g_rs_exchange[buf][lin][r] = (unsigned int)v[r];
        __syncwarp();
        const unsigned quad = lin & ~3u;
        for (int t = 0; t < 4; t++)
            for (int r = 0; r < 4; r++)
            {
                const unsigned x = g_rs_exchange[buf][quad + t][r];
                const int row = r & 1, col = 2 * t + 8 * (r >> 1);
                unsigned int lo = (x & 0xffffu) << 16, hi = x & 0xffff0000u;
                std::memcpy(&op.a[row][col], &lo, 4);
                std::memcpy(&op.a[row][col + 1], &hi, 4);
            }
    }
    else fail("wgmma.mma_async m64n%dk16: %d operands after the accumulators (7 for shared A, 9 for register A)", N, nv);
    if ((op.neg_a != 1 && op.neg_a != -1) || (op.neg_b != 1 && op.neg_b != -1)) fail("wgmma.mma_async: imm-scale-a/b must be 1 or -1");
    issue(std::move(op), d);
}

// ---- named barriers (bar.sync / bar.arrive id, count) ----
// Hardware barriers 1..15 of a block (0 is __syncthreads'): a phase completes when `count` threads have arrived,
// by bar.sync (which waits for the completion) or bar.arrive (which does not). State per block (reset when a new
// block runs), not in shared memory: the device keeps it in the SM.
struct NamedBarrier { unsigned long long block_stamp = ~0ull, generation = 0; unsigned arrived = 0, expected = 0; };
static NamedBarrier g_named[16];

// Arrives at barrier id and returns the generation arrived in (it advances when the phase completes).
static inline unsigned long long named_arrive(unsigned id, unsigned count, const char* what)
{
    const unsigned threads = blockDim.x * blockDim.y * blockDim.z;   // the shim's blockDim: this block's
    if (id < 1 || id > 15) fail("%s: barrier %u is outside 1..15 (barrier 0 is __syncthreads')", what, id);
    if (count == 0 || count % 32 || count > threads)
        fail("%s %u: thread count %u is not a positive multiple of 32 up to the block's %u threads", what, id, count, threads);
    NamedBarrier& b = g_named[id];
    if (b.block_stamp != __mantis_cur->block_serial) b = NamedBarrier{ __mantis_cur->block_serial };
    if (b.arrived == 0) b.expected = count;
    else if (b.expected != count) fail("%s %u: thread count %u while the open phase counts %u", what, id, count, b.expected);
    const unsigned long long gen = b.generation;
    if (++b.arrived == b.expected) { b.arrived = 0; b.generation++; }
    return gen;
}
}   // namespace sm90

// mbarrier.init.shared::cta.b64 [addr], count
static inline void mbarrier_init_shared__cta_b64(unsigned addr, unsigned count)
{
    if (count < 1 || count > 0xfffff) sm90::fail("mbarrier.init: count %u is outside 1..2^20-1", count);
    if (addr % 8) sm90::fail("mbarrier.init: address 0x%x is not 8-byte aligned", addr);
    auto* w = reinterpret_cast<unsigned long long*>(sm90::smem(addr, 8, "mbarrier.init"));
    sm90::Barrier b{ w, count, count, 0, 0 };
    sm90::barrier_store(b);
}

// mbarrier.arrive.shared::cta.b64 _, [addr]  (the state token sunk)
static inline void mbarrier_arrive_shared__cta_b64(unsigned addr) { (void)sm90::barrier_arrive(addr, 0, "mbarrier.arrive"); }

// mbarrier.arrive.expect_tx.shared::cta.b64 _, [addr], tx_count: expect-tx, then arrive
static inline void mbarrier_arrive_expect_tx_shared__cta_b64(unsigned addr, unsigned tx)
{
    (void)sm90::barrier_arrive(addr, (long long)tx, "mbarrier.arrive.expect_tx");
}

// mbarrier.try_wait.parity.shared::cta.b64 p, [addr], parity: true once the phase of that parity has completed,
// i.e. the current phase's parity differs from it.
static inline void mbarrier_try_wait_parity_shared__cta_b64(unsigned& ready, unsigned addr, unsigned parity)
{
    char what[96];
    std::snprintf(what, sizeof what, "mbarrier.try_wait.parity (parity %u) on the mbarrier at shared address 0x%x", parity & 1u, addr);
    for (int first = 1; sm90::barrier_at(addr, "mbarrier.try_wait.parity").phase == (parity & 1u); first = 0)
        __mantis_api->spin_wait(first, what);
    ready = 1;
}

// fence.proxy.async.shared::cta: orders generic-proxy shared writes before async-proxy (TMA, wgmma) accesses;
// every access is immediate here, so nothing to do.
static inline void fence_proxy_async_shared__cta() {}

// cp.async.bulk.tensor.Nd.shared::cluster.global.mbarrier::complete_tx::bytes [dst], [map, {c0, ...}], [mbar]
static inline void cp_async_bulk_tensor_2d_shared__cluster_global_mbarrier__complete_tx__bytes(unsigned dst, unsigned long long map, int c0, int c1, unsigned mbar)
{
    const int c[2] = { c0, c1 };
    sm90::tma_load(dst, map, c, 2, mbar, "cp.async.bulk.tensor.2d");
}
static inline void cp_async_bulk_tensor_4d_shared__cluster_global_mbarrier__complete_tx__bytes(unsigned dst, unsigned long long map, int c0, int c1, int c2,
                                                                                                int c3, unsigned mbar)
{
    const int c[4] = { c0, c1, c2, c3 };
    sm90::tma_load(dst, map, c, 4, mbar, "cp.async.bulk.tensor.4d");
}

// wgmma.fence.sync.aligned: register accesses before it are ordered before the wgmma.mma_async after it.
static inline void wgmma_fence_sync_aligned() { sm90::me().fenced = true; }

// wgmma.commit_group.sync.aligned: the uncommitted mma_async operations become one group.
static inline void wgmma_commit_group_sync_aligned()
{
    sm90::WgmmaThread& w = sm90::me();
    w.groups.push_back(std::move(w.open));
    w.open.clear();
}

// wgmma.wait_group.sync.aligned N: waits until at most N of the committed groups are pending.
static inline void wgmma_wait_group_sync_aligned(int n)
{
    if (n < 0 || n > 7) sm90::fail("wgmma.wait_group: N = %d is outside 0..7", n);
    sm90::wait(n);
}

// wgmma.mma_async.sync.aligned.m64nNk16.f32.bf16.bf16: shared A (a-desc) or register A; see sm90::mma_entry.
template <class... T> static inline void wgmma_mma_async_sync_aligned_m64n8k16_f32_bf16_bf16(T&&... a) { sm90::mma_entry<8>(std::forward<T>(a)...); }
template <class... T> static inline void wgmma_mma_async_sync_aligned_m64n16k16_f32_bf16_bf16(T&&... a) { sm90::mma_entry<16>(std::forward<T>(a)...); }
template <class... T> static inline void wgmma_mma_async_sync_aligned_m64n64k16_f32_bf16_bf16(T&&... a) { sm90::mma_entry<64>(std::forward<T>(a)...); }
template <class... T> static inline void wgmma_mma_async_sync_aligned_m64n72k16_f32_bf16_bf16(T&&... a) { sm90::mma_entry<72>(std::forward<T>(a)...); }
template <class... T> static inline void wgmma_mma_async_sync_aligned_m64n80k16_f32_bf16_bf16(T&&... a) { sm90::mma_entry<80>(std::forward<T>(a)...); }
template <class... T> static inline void wgmma_mma_async_sync_aligned_m64n96k16_f32_bf16_bf16(T&&... a) { sm90::mma_entry<96>(std::forward<T>(a)...); }
template <class... T> static inline void wgmma_mma_async_sync_aligned_m64n128k16_f32_bf16_bf16(T&&... a) { sm90::mma_entry<128>(std::forward<T>(a)...); }

// setmaxnreg.{inc,dec}.sync.aligned.u32 N: a hint on the device's register file, nothing to do here beyond the
// ISA's rules: N a multiple of 8 in 24..256, the same in every thread of the warp(group).
static inline void setmaxnreg_check(int n, const char* what)
{
    if (n < 24 || n > 256 || n % 8) sm90::fail("%s: register count %d is not a multiple of 8 in 24..256", what, n);
    if ((blockDim.x * blockDim.y * blockDim.z) % 128)
        sm90::fail("%s: the block (%u threads) is not made of whole warpgroups", what, blockDim.x * blockDim.y * blockDim.z);
    int all = 0;
    __match_all_sync(0xffffffffu, n, &all);
    if (!all) sm90::fail("%s: register count %d differs between the threads of a warp", what, n);
}
static inline void setmaxnreg_inc_sync_aligned_u32(int n) { setmaxnreg_check(n, "setmaxnreg.inc"); }
static inline void setmaxnreg_dec_sync_aligned_u32(int n) { setmaxnreg_check(n, "setmaxnreg.dec"); }
// bar.sync id, count: arrive at named barrier id and wait until `count` threads have arrived in this phase
static inline void bar_sync(unsigned id, unsigned count)
{
    const unsigned long long gen = sm90::named_arrive(id, count, "bar.sync");
    char what[96];
    std::snprintf(what, sizeof what, "bar.sync %u, %u (named barrier)", id, count);
    for (int first = 1; sm90::g_named[id].generation == gen; first = 0) __mantis_api->spin_wait(first, what);
}

// bar.arrive id, count: arrive without waiting (the producer side of a named-barrier handoff)
static inline void bar_arrive(unsigned id, unsigned count) { (void)sm90::named_arrive(id, count, "bar.arrive"); }
}   // namespace mantis_ptx
#endif
