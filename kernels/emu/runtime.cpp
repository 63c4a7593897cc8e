// Execution of a launch: each block's threads run as cooperatively scheduled fibers on the calling thread.
// A fiber runs until it reaches __syncthreads, a warp collective or its end; the scheduler then runs the next
// one. Between two barriers the fibers run in the order MANTIS_EMU_SEED picks (forward, reverse, shuffled), so
// code that reads another thread's shared value without a barrier sees a different result per seed. A barrier
// that only part of the block reaches, or a warp collective whose mask names a lane that never joins it, ends
// the launch with an error naming the kernel, the block and the thread.
#include "emu.h"
#include "fiber.h"
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <list>
#include <sys/mman.h>

namespace emu
{
namespace
{
// Spin: in an mbarrier wait (runnable again next round; see api_spin_wait).
enum class St { Runnable, Barrier, Collective, Spin, Done, Failed };

struct Pending
{
    int kind;
    unsigned int mask;
    int width;
    unsigned int arrived = 0;
    unsigned long long value[32] = {};
    int arg[32] = {};
};

struct Fiber
{
    FiberContext ctx;
    MantisThread t;
    St st = St::Done;
    unsigned long long result = 0;
    Pending* waiting = nullptr;
    const char* spin_what = nullptr;   // what a spinning fiber waits for (for the deadlock message)
};

struct StaticDecl { const void* tag; size_t offset, bytes; const char* name; };

constexpr size_t kStackBytes = 256 * 1024;
constexpr size_t kSmemGuard = 256;
constexpr size_t kStaticLimit = 48 * 1024;
constexpr size_t kSmemOptinLimit = 227 * 1024;

struct Exec
{
    Function* f = nullptr;
    void** params = nullptr;
    mantis_uint3 grid{}, block{};
    unsigned int nthreads = 0;
    unsigned int shared_bytes = 0;
    std::vector<Fiber> fibers;
    FiberContext sched;
    Fiber* cur = nullptr;
    std::string error;
    int error_code = 0;
    std::vector<std::list<Pending>> pending;   // per warp
    std::vector<unsigned char> dyn;
    std::vector<StaticDecl> statics;
    size_t static_used = 0;
    uint64_t seed = 0;
    unsigned int interval = 0;
    mantis_uint3 block_idx{};
    bool progress = false;   // set in a round when some fiber did more than spin again
};

Exec* g_exec = nullptr;
unsigned char* g_static_arena = nullptr;   // fixed address: a block's static shared memory
constexpr size_t kStaticArenaBytes = kSmemOptinLimit + 64 * kSmemGuard;

std::vector<void*>& stacks()
{
    static std::vector<void*> s;
    return s;
}

void* stack_for(size_t i)
{
    auto& s = stacks();
    while (s.size() <= i)
    {
        const size_t page = 4096;
        void* p = mmap(nullptr, kStackBytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) { std::fprintf(stderr, "mantis emulator: cannot map a fiber stack\n"); std::abort(); }
        mprotect(p, page, PROT_NONE);   // overflow faults instead of corrupting the next stack
        s.push_back(static_cast<char*>(p) + page);
    }
    return s[i];
}

std::string fmt(const char* f, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, f);
    std::vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

std::string where_block(const Exec& e)
{
    return fmt("kernel %s block (%u,%u,%u)", e.f->name.c_str(), e.block_idx.x, e.block_idx.y, e.block_idx.z);
}

std::string thread_name(const MantisThread& t) { return fmt("thread (%u,%u,%u)", t.threadIdx.x, t.threadIdx.y, t.threadIdx.z); }

const char* collective_name(int kind)
{
    switch (kind)
    {
    case MANTIS_SHFL_IDX: return "__shfl_sync";
    case MANTIS_SHFL_UP: return "__shfl_up_sync";
    case MANTIS_SHFL_DOWN: return "__shfl_down_sync";
    case MANTIS_SHFL_XOR: return "__shfl_xor_sync";
    case MANTIS_VOTE_BALLOT: return "__ballot_sync";
    case MANTIS_VOTE_ANY: return "__any_sync";
    case MANTIS_VOTE_ALL: return "__all_sync";
    case MANTIS_MATCH_ANY: return "__match_any_sync";
    case MANTIS_MATCH_ALL: return "__match_all_sync";
    case MANTIS_SYNCWARP: return "__syncwarp";
    default: return "warp collective";
    }
}

void record_error(Exec& e, int code, const std::string& msg)
{
    if (e.error.empty()) { e.error = msg; e.error_code = code; }
}

// Called on a fiber: records the error and never returns to the kernel code.
[[noreturn]] void fail_current(int code, const std::string& msg)
{
    Exec& e = *g_exec;
    record_error(e, code, where_block(e) + " " + thread_name(e.cur->t) + ": " + msg);
    e.cur->st = St::Failed;
    fiber_switch(&e.cur->ctx, &e.sched);
    std::abort();   // a failed fiber is never resumed
}

void yield_current() { fiber_switch(&g_exec->cur->ctx, &g_exec->sched); }

void api_syncthreads()
{
    g_exec->cur->st = St::Barrier;
    yield_current();
}

void api_fail(const char* message) { fail_current(719, message); }

// A fiber waiting on a condition another fiber must change (mbarrier try_wait): it yields and is resumed next
// round. Only a fiber that did something since its last yield (first = 1) counts as progress.
void api_spin_wait(int first, const char* what)
{
    Exec& e = *g_exec;
    if (first) e.progress = true;
    e.cur->st = St::Spin;
    e.cur->spin_what = what;
    yield_current();
    e.cur->st = St::Runnable;
}

unsigned int lanes_in_warp(const Exec& e, unsigned int warp)
{
    const unsigned int first = warp * 32;
    const unsigned int live = e.nthreads - first;
    return live >= 32 ? 0xffffffffu : ((1u << live) - 1u);
}

// Computes every lane's result once the last lane of the mask has arrived.
void complete(Exec& e, unsigned int warp, Pending& p)
{
    for (unsigned int lane = 0; lane < 32; lane++)
    {
        if (!(p.mask >> lane & 1u)) continue;
        Fiber& fb = e.fibers[warp * 32 + lane];
        unsigned long long r = 0;
        switch (p.kind)
        {
        case MANTIS_SHFL_IDX: case MANTIS_SHFL_UP: case MANTIS_SHFL_DOWN: case MANTIS_SHFL_XOR:
        {
            const int w = p.width, a = p.arg[lane];
            const int seg = (int)lane / w * w;
            int src;
            if (p.kind == MANTIS_SHFL_IDX) src = seg + (a % w + w) % w;
            else if (p.kind == MANTIS_SHFL_UP) src = (int)lane - a < seg ? (int)lane : (int)lane - a;
            else if (p.kind == MANTIS_SHFL_DOWN) src = (int)lane + a >= seg + w ? (int)lane : (int)lane + a;
            else src = ((int)lane ^ a) >= seg + w ? (int)lane : ((int)lane ^ a);
            if (!(p.mask >> src & 1u))
            {
                e.cur = &fb;
                record_error(e, 719, where_block(e) + " " + thread_name(fb.t) + ": " + collective_name(p.kind) +
                                         fmt("(mask 0x%08x) reads lane %d, which is not in the mask (its value is undefined)", p.mask, src));
                return;
            }
            r = p.value[src];
            break;
        }
        case MANTIS_VOTE_BALLOT: case MANTIS_VOTE_ANY: case MANTIS_VOTE_ALL:
        {
            unsigned int bits = 0;
            for (unsigned int l = 0; l < 32; l++) if ((p.mask >> l & 1u) && p.value[l]) bits |= 1u << l;
            r = p.kind == MANTIS_VOTE_BALLOT ? bits : p.kind == MANTIS_VOTE_ANY ? (bits != 0) : (bits == p.mask);
            break;
        }
        case MANTIS_MATCH_ANY: case MANTIS_MATCH_ALL:
        {
            unsigned int same = 0;
            for (unsigned int l = 0; l < 32; l++) if ((p.mask >> l & 1u) && p.value[l] == p.value[lane]) same |= 1u << l;
            r = p.kind == MANTIS_MATCH_ANY ? same : (same == p.mask ? p.mask : 0);
            break;
        }
        default: r = 0; break;
        }
        fb.result = r;
        if (fb.st == St::Collective) fb.st = St::Runnable;
        fb.waiting = nullptr;
    }
}

unsigned long long api_warp_collective(int kind, unsigned int mask, unsigned long long value, int arg, int width)
{
    Exec& e = *g_exec;
    Fiber& me = *e.cur;
    const unsigned int lane = me.t.lane, warp = me.t.warp;
    const char* name = collective_name(kind);
    if (!(mask >> lane & 1u)) fail_current(719, fmt("%s(mask 0x%08x) called by lane %u, which is not in its own mask", name, mask, lane));
    const unsigned int exists = lanes_in_warp(e, warp);
    if (mask & ~exists)
        fail_current(719, fmt("%s(mask 0x%08x) names lanes 0x%08x that do not exist (the block has %u threads: warp %u has lanes 0x%08x)",
                              name, mask, mask & ~exists, e.nthreads, warp, exists));
    if (kind <= MANTIS_SHFL_XOR && (width <= 0 || width > 32 || (width & (width - 1))))
        fail_current(719, fmt("%s width %d is not a power of two in 1..32", name, width));
    auto& list = e.pending[warp];
    Pending* p = nullptr;
    for (auto& q : list)
        if (q.mask & mask)
        {
            if (q.mask != mask || q.kind != kind || q.width != width)
            {
                unsigned int first = 0;
                while (!(q.arrived >> first & 1u)) first++;
                fail_current(719, fmt("%s(mask 0x%08x) while lane %u waits in %s(mask 0x%08x): the lanes of a warp collective must all make the same call",
                                      name, mask, first, collective_name(q.kind), q.mask));
            }
            p = &q;
            break;
        }
    if (!p)
    {
        list.push_back(Pending{ kind, mask, width });
        p = &list.back();
    }
    p->value[lane] = value;
    p->arg[lane] = arg;
    p->arrived |= 1u << lane;
    if (p->arrived == p->mask)
    {
        complete(e, warp, *p);
        for (auto it = list.begin(); it != list.end(); ++it)
            if (&*it == p) { list.erase(it); break; }
        if (!e.error.empty()) { me.st = St::Failed; yield_current(); std::abort(); }
        return me.result;
    }
    me.st = St::Collective;
    me.waiting = p;
    yield_current();
    return me.result;
}

void poison(void* p, size_t bytes, uint32_t word)
{
    auto* b = static_cast<unsigned char*>(p);
    for (size_t i = 0; i < bytes; i++) b[i] = reinterpret_cast<const unsigned char*>(&word)[i & 3];
}

bool guard_ok(const unsigned char* p, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++) if (p[i] != reinterpret_cast<const unsigned char*>(&kGuardWord)[i & 3]) return false;
    return true;
}

void* api_static_smem(const void* tag, size_t bytes, size_t align, const char* name)
{
    Exec& e = *g_exec;
    for (auto& s : e.statics) if (s.tag == tag) return g_static_arena + s.offset;
    if (align < 16) align = 16;
    size_t off = (e.static_used + align - 1) / align * align;
    if (off + bytes > kStaticLimit)
        fail_current(701, fmt("static __shared__ memory exceeds 48 KB: '%s' (%zu bytes) brings it to %zu bytes", name, bytes, off + bytes));
    if (off + bytes + e.shared_bytes > kSmemOptinLimit)
        fail_current(701, fmt("static (%zu) plus dynamic (%u) shared memory exceed the 227 KB a block may have", off + bytes, e.shared_bytes));
    e.statics.push_back(StaticDecl{ tag, off, bytes, name });
    poison(g_static_arena + off, bytes, kPoison);
    poison(g_static_arena + off + bytes, kSmemGuard, kGuardWord);
    e.static_used = off + bytes + kSmemGuard;
    return g_static_arena + off;
}

const MantisEmuApi g_api = { MANTIS_EMU_ABI, api_syncthreads, api_warp_collective, api_static_smem, api_fail, api_spin_wait };

void fiber_main(void* arg)
{
    Fiber* fb = static_cast<Fiber*>(arg);
    g_exec->f->info->launch(g_exec->params);
    fb->st = St::Done;
    fiber_switch(&fb->ctx, &g_exec->sched);
    std::abort();
}

uint64_t splitmix(uint64_t& s)
{
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void make_order(const Exec& e, std::vector<unsigned int>& order)
{
    order.resize(e.nthreads);
    for (unsigned int i = 0; i < e.nthreads; i++) order[i] = i;
    if (e.seed == 0) return;
    if (e.seed == 1) { for (unsigned int i = 0; i < e.nthreads; i++) order[i] = e.nthreads - 1 - i; return; }
    uint64_t s = e.seed * 0x100000001b3ull ^ ((uint64_t)e.block_idx.x << 20) ^ ((uint64_t)e.block_idx.y << 40) ^ e.block_idx.z ^
                 ((uint64_t)e.interval << 52);
    for (unsigned int i = e.nthreads - 1; i > 0; i--) std::swap(order[i], order[splitmix(s) % (i + 1)]);
}

// Every fiber that ran this round spun again on a wait nobody can end: name one and what the others do.
std::string describe_spin_deadlock(Exec& e)
{
    unsigned int spin = 0, at = 0, exited = 0, coll = 0;
    const Fiber* first = nullptr;
    for (auto& fb : e.fibers)
    {
        if (fb.st == St::Spin) { if (spin++ == 0) first = &fb; }
        else if (fb.st == St::Barrier) at++;
        else if (fb.st == St::Done) exited++;
        else if (fb.st == St::Collective) coll++;
    }
    return where_block(e) + " " + thread_name(first->t) + ": " + (first->spin_what ? first->spin_what : "a wait") +
           fmt(" never completes: no thread can arrive (%u threads wait at mbarriers, %u at __syncthreads, %u in warp collectives, %u have exited)",
               spin, at, coll, exited);
}

std::string describe_stall(Exec& e)
{
    // A collective that can never complete: name a missing lane and what it does instead.
    for (unsigned int w = 0; w < e.pending.size(); w++)
        for (auto& p : e.pending[w])
        {
            unsigned int waiter = 0, missing = 0;
            while (!(p.arrived >> waiter & 1u)) waiter++;
            const unsigned int absent = p.mask & ~p.arrived;
            while (!(absent >> missing & 1u)) missing++;
            Fiber& m = e.fibers[w * 32 + missing];
            const char* doing = m.st == St::Done ? "has exited" : m.st == St::Barrier ? "waits at __syncthreads" : "waits in another warp collective";
            return where_block(e) + " " + thread_name(e.fibers[w * 32 + waiter].t) + ": " + collective_name(p.kind) +
                   fmt("(mask 0x%08x) never completes: lane %u (", p.mask, missing) + thread_name(m.t) + ") " + doing;
        }
    unsigned int at = 0, exited = 0, first_at = 0, first_exit = 0;
    for (unsigned int i = 0; i < e.nthreads; i++)
    {
        if (e.fibers[i].st == St::Barrier) { if (at++ == 0) first_at = i; }
        else if (e.fibers[i].st == St::Done) { if (exited++ == 0) first_exit = i; }
    }
    return where_block(e) + " " + thread_name(e.fibers[first_at].t) +
           fmt(": __syncthreads reached by %u of %u threads; ", at, e.nthreads) + thread_name(e.fibers[first_exit].t) +
           " exited without reaching it";
}

unsigned long long g_block_serial = 0;

void run_block(Exec& e)
{
    g_block_serial++;
    const unsigned int bx = e.block.x, by = e.block.y;
    for (unsigned int i = 0; i < e.nthreads; i++)
    {
        Fiber& fb = e.fibers[i];
        fb.t.threadIdx = mantis_uint3{ i % bx, i / bx % by, i / (bx * by) };
        fb.t.blockIdx = e.block_idx;
        fb.t.blockDim = e.block;
        fb.t.gridDim = e.grid;
        fb.t.lane = i % 32;
        fb.t.warp = i / 32;
        fb.t.linear = i;
        fb.t.dynamic_smem = e.dyn.data();
        fb.t.dynamic_smem_bytes = e.shared_bytes;
        fb.t.block_serial = g_block_serial;
        fb.st = St::Runnable;
        fb.waiting = nullptr;
        fiber_init(&fb.ctx, stack_for(i), kStackBytes, fiber_main, &fb);
    }
    for (auto& l : e.pending) l.clear();
    poison(e.dyn.data(), e.shared_bytes, kPoison);
    poison(e.dyn.data() + e.shared_bytes, kSmemGuard, kGuardWord);
    for (auto& s : e.statics) poison(g_static_arena + s.offset, s.bytes, kPoison);
    e.interval = 0;
    std::vector<unsigned int> order;
    make_order(e, order);
    for (;;)
    {
        bool ran = false, spun = false;
        e.progress = false;
        for (unsigned int idx : order)
        {
            Fiber& fb = e.fibers[idx];
            if (fb.st != St::Runnable && fb.st != St::Spin) continue;
            e.cur = &fb;
            *e.f->module->current_slot = &fb.t;
            fiber_switch(&e.sched, &fb.ctx);
            ran = true;
            if (fb.st == St::Spin) spun = true;
            else e.progress = true;
            if (!e.error.empty()) return;
        }
        if (ran && spun && !e.progress)
        {
            record_error(e, 719, describe_spin_deadlock(e));
            return;
        }
        if (ran) continue;
        unsigned int done = 0, barrier = 0, collective = 0;
        for (auto& fb : e.fibers)
        {
            if (fb.st == St::Done) done++;
            else if (fb.st == St::Barrier) barrier++;
            else if (fb.st == St::Collective) collective++;
        }
        if (done == e.nthreads) break;
        if (collective == 0 && done == 0)
        {
            for (auto& fb : e.fibers) fb.st = St::Runnable;
            e.interval++;
            make_order(e, order);
            continue;
        }
        record_error(e, 719, describe_stall(e));
        return;
    }
    if (!guard_ok(e.dyn.data() + e.shared_bytes, kSmemGuard))
        record_error(e, 700, where_block(e) + fmt(": wrote past the end of its dynamic shared memory (%u bytes)", e.shared_bytes));
    for (auto& s : e.statics)
        if (!guard_ok(g_static_arena + s.offset + s.bytes, kSmemGuard))
            record_error(e, 700, where_block(e) + fmt(": wrote past the end of __shared__ '%s' (%zu bytes)", s.name, s.bytes));
}
}   // namespace

uint64_t order_seed()
{
    static uint64_t seed = [] {
        const char* s = std::getenv("MANTIS_EMU_SEED");
        return s ? std::strtoull(s, nullptr, 10) : 0ull;
    }();
    return seed;
}

void install_module(const MantisModuleInfo* m)
{
    *m->api_slot = &g_api;
}

int launch(Function& f, mantis_uint3 grid, mantis_uint3 block, unsigned int shared_bytes, void** params, std::string& detail)
{
    if (!g_static_arena)
    {
        void* p = mmap(nullptr, kStaticArenaBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) { detail = "cannot map the shared-memory arena"; return 2; }
        g_static_arena = static_cast<unsigned char*>(p);
    }
    Exec e;
    e.f = &f;
    e.params = params;
    e.grid = grid;
    e.block = block;
    e.nthreads = block.x * block.y * block.z;
    e.shared_bytes = shared_bytes;
    e.fibers.resize(e.nthreads);
    e.pending.resize((e.nthreads + 31) / 32);
    e.dyn.resize(shared_bytes + kSmemGuard);
    e.seed = order_seed();
    g_exec = &e;
    for (unsigned int z = 0; z < grid.z && e.error.empty(); z++)
        for (unsigned int y = 0; y < grid.y && e.error.empty(); y++)
            for (unsigned int x = 0; x < grid.x && e.error.empty(); x++)
            {
                e.block_idx = mantis_uint3{ x, y, z };
                run_block(e);
            }
    g_exec = nullptr;
    size_t stat = 0;
    for (auto& s : e.statics) stat = std::max(stat, s.offset + s.bytes);
    f.static_smem = std::max(f.static_smem, stat);
    const std::string guards = mem_check_guards();
    if (e.error.empty() && !guards.empty()) record_error(e, 700, "kernel " + f.name + " " + guards);
    detail = e.error;
    return e.error_code;
}
}   // namespace emu
