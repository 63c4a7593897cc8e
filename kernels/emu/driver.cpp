// The CUDA driver API subset interop/CudaDriverApi.cs declares, on the emulated device: same symbol names,
// signatures and CUresult codes. The device reports an H100's limits (1024 threads per block, grid y/z up to
// 65535, 48 KB shared memory per block without opt-in, 227 KB with it, compute capability 9.0) and host memory.
// Every call runs to completion before it returns, with one exception that keeps pinned-memory code honest: a
// cuMemcpyHtoDAsync from page-locked memory (cuMemHostAlloc) on a created stream is queued on that stream and runs
// at the latest point CUDA allows: when later work on the same stream, a wait for an event recorded after it, an
// event or stream synchronisation, or a context-wide synchronisation needs it (see "deferred copies" below).
#include "emu.h"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>
#include <unordered_set>

using CUresult = int;
using CUdeviceptr = unsigned long long;

namespace emu
{
std::recursive_mutex& api_lock()
{
    static std::recursive_mutex m;
    return m;
}

namespace
{
enum : int
{
    OK = 0, INVALID_VALUE = 1, OUT_OF_MEMORY = 2, NOT_INITIALIZED = 3, INVALID_DEVICE = 101, INVALID_IMAGE = 200,
    INVALID_CONTEXT = 201, INVALID_HANDLE = 400, NOT_FOUND = 500, NOT_READY = 600, ILLEGAL_ADDRESS = 700,
    LAUNCH_OUT_OF_RESOURCES = 701, LAUNCH_FAILED = 719, NOT_SUPPORTED = 801,
};

bool g_initialized = false;
int g_sticky = 0;
std::string g_sticky_detail;
int g_primary_refs = 0;
char g_primary_context_tag;   // the one context's handle is this address
thread_local void* t_current = nullptr;
char g_pool_tag;

// fd: the memfd holding the object stays open while the module lives, so no later module gets the same
// /proc/self/fd path (the loader would hand back the first module for a reused name).
struct Module { void* dl; const MantisModuleInfo* info; std::vector<Function*> functions; std::string path; int fd; };
struct Event
{
    unsigned int flags;
    bool recorded = false;
    std::chrono::steady_clock::time_point at;
    void* stream = nullptr;   // where it was last recorded (a created stream), and that stream's queue position then
    uint64_t mark = 0;
};
// A deferred host-to-device copy: the source bytes as they were at issue, compared when the copy runs, so a host
// that rewrites a page-locked buffer before its copy's ordering point is reported instead of silently racing.
struct PendingCopy { uint64_t seq; CUdeviceptr dst; const void* src; size_t bytes; std::vector<unsigned char> at_issue; };
struct Stream { unsigned int flags; std::vector<PendingCopy> pending; uint64_t issued = 0; };

std::map<void*, Module*>& modules() { static std::map<void*, Module*> m; return m; }
std::map<void*, Event*>& events() { static std::map<void*, Event*> m; return m; }
std::map<void*, Stream*>& streams() { static std::map<void*, Stream*> m; return m; }
std::map<void*, Function*>& functions() { static std::map<void*, Function*> m; return m; }

// Deletes a stream or an event; an unknown handle is CUDA_ERROR_INVALID_HANDLE.
template <class T> int destroy(std::map<void*, T*>& table, void* handle)
{
    auto it = table.find(handle);
    if (it == table.end()) return INVALID_HANDLE;
    delete it->second;
    table.erase(it);
    return OK;
}

bool valid_stream(void* s) { return s == nullptr || s == (void*)1 || s == (void*)2 || streams().count(s); }

// The compute capability reported: 9.0 (an H100), or MANTIS_EMU_CC ("8.0", "8.6", "9.0") so tests can select
// each architecture's kernels on the emulated device. -1 when the variable is malformed (cuInit then fails).
int g_cc_major = 9, g_cc_minor = 0;
bool read_capability()
{
    const char* s = std::getenv("MANTIS_EMU_CC");
    if (!s || !*s) return true;
    int major = 0, minor = 0;
    char tail = 0;
    if (std::sscanf(s, "%d.%d%c", &major, &minor, &tail) != 2 || major < 7 || major > 12 || minor < 0 || minor > 9)
    {
        std::fprintf(stderr, "mantis emulated device: MANTIS_EMU_CC='%s' is not a compute capability such as 8.0 or 9.0\n", s);
        return false;
    }
    g_cc_major = major;
    g_cc_minor = minor;
    return true;
}
}   // namespace

void set_sticky(int code, const std::string& detail)
{
    if (g_sticky == 0) { g_sticky = code; g_sticky_detail = detail; }
    std::fprintf(stderr, "mantis emulated device: %s\n", detail.c_str());
}
int sticky() { return g_sticky; }
const std::string& sticky_detail() { return g_sticky_detail; }
}   // namespace emu

using namespace emu;

#define LOCK std::lock_guard<std::recursive_mutex> lock_(api_lock())
// Calls that need the context: not before cuInit, not without a current context, and not after a kernel fault.
#define NEED_CONTEXT                                   \
    LOCK;                                              \
    if (!g_initialized) return NOT_INITIALIZED;        \
    if (t_current == nullptr) return INVALID_CONTEXT;  \
    if (g_sticky) return g_sticky

// Page-locked host memory: plain aligned host memory here, tracked (with its size) so that a free of a pointer
// cuMemHostAlloc did not return is INVALID_VALUE, as on a device, and so that copies from it can be deferred.
static std::map<void*, size_t>& pinned()
{
    static std::map<void*, size_t> s;
    return s;
}

// ---- deferred copies ----
// A real device runs a cuMemcpyHtoDAsync from page-locked memory whenever its stream gets there, possibly long after
// the call returned; the host may rewrite the source only after an event recorded behind the copy completed. Here
// such a copy is queued on its stream and run at the last moment CUDA would allow (see the file comment), so code
// that reads the destination without ordering sees the poisoned (NaN) memory, and code that rewrites the source
// in flight is caught by the comparison with the bytes at issue: a sticky LAUNCH_FAILED naming the copy.
static bool in_pinned(const void* p, size_t bytes)
{
    auto& m = pinned();
    auto it = m.upper_bound(const_cast<void*>(p));
    if (it == m.begin()) return false;
    --it;
    auto base = (uintptr_t)it->first, at = (uintptr_t)p;
    return at >= base && at + bytes <= base + it->second;
}

static Stream* created_stream(void* s)
{
    auto it = streams().find(s);
    return it == streams().end() ? nullptr : it->second;
}

static void run_pending(Stream& st, uint64_t upto)
{
    size_t done = 0;
    for (; done < st.pending.size() && st.pending[done].seq <= upto; done++)
    {
        auto& c = st.pending[done];
        if (g_sticky) continue;   // a faulted context runs nothing more
        if (std::memcmp(c.src, c.at_issue.data(), c.bytes) != 0)
        {
            size_t first = 0;
            while (((const unsigned char*)c.src)[first] == c.at_issue[first]) first++;
            set_sticky(LAUNCH_FAILED, "cuMemcpyHtoDAsync of " + std::to_string(c.bytes) + " bytes from page-locked host memory: the host rewrote its source (first at byte " +
                                          std::to_string(first) + ") before the copy ran; wait for an event recorded after the copy before reusing the buffer");
            continue;
        }
        if (!mem_find(c.dst, c.bytes))
        {
            set_sticky(ILLEGAL_ADDRESS, "cuMemcpyHtoDAsync of " + std::to_string(c.bytes) + " bytes: the destination was freed before the copy ran");
            continue;
        }
        std::memcpy((void*)c.dst, c.src, c.bytes);
    }
    st.pending.erase(st.pending.begin(), st.pending.begin() + (ptrdiff_t)done);
}

// Runs what work queued on `s` must see first: its own deferred copies (a created stream), or every stream's (the
// legacy default stream orders after all of them, as do context-wide synchronisations: s == all_streams).
static void* const all_streams = (void*)~(uintptr_t)0;
static void flush_stream(void* s)
{
    if (auto* st = created_stream(s)) { run_pending(*st, UINT64_MAX); return; }
    for (auto& [_, st] : streams()) run_pending(*st, UINT64_MAX);
}

namespace emu
{
void flush_stream_for(void* stream) { flush_stream(stream); }
}

// The copies queued on the event's stream up to its record (what a wait for it, or its synchronisation, orders after).
static void flush_event(Event& e)
{
    if (auto* st = created_stream(e.stream)) run_pending(*st, e.mark);
}

MANTIS_EXPORT CUresult cuInit(unsigned int flags)
{
    LOCK;
    if (flags != 0) return INVALID_VALUE;
    if (!read_capability()) return INVALID_VALUE;
    g_initialized = true;
    return OK;
}

MANTIS_EXPORT CUresult cuDriverGetVersion(int* v)
{
    if (!v) return INVALID_VALUE;
    *v = 12040;
    return OK;
}

static const char* error_name(int e)
{
    switch (e)
    {
    case 0: return "CUDA_SUCCESS";
    case 1: return "CUDA_ERROR_INVALID_VALUE";
    case 2: return "CUDA_ERROR_OUT_OF_MEMORY";
    case 3: return "CUDA_ERROR_NOT_INITIALIZED";
    case 4: return "CUDA_ERROR_DEINITIALIZED";
    case 100: return "CUDA_ERROR_NO_DEVICE";
    case 101: return "CUDA_ERROR_INVALID_DEVICE";
    case 200: return "CUDA_ERROR_INVALID_IMAGE";
    case 201: return "CUDA_ERROR_INVALID_CONTEXT";
    case 400: return "CUDA_ERROR_INVALID_HANDLE";
    case 500: return "CUDA_ERROR_NOT_FOUND";
    case 600: return "CUDA_ERROR_NOT_READY";
    case 700: return "CUDA_ERROR_ILLEGAL_ADDRESS";
    case 701: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
    case 719: return "CUDA_ERROR_LAUNCH_FAILED";
    case 801: return "CUDA_ERROR_NOT_SUPPORTED";
    case 999: return "CUDA_ERROR_UNKNOWN";
    default: return nullptr;
    }
}

static const char* error_text(int e)
{
    switch (e)
    {
    case 0: return "no error";
    case 1: return "invalid argument";
    case 2: return "out of memory";
    case 3: return "initialization error";
    case 101: return "invalid device ordinal";
    case 200: return "device kernel image is invalid";
    case 201: return "invalid device context";
    case 400: return "invalid resource handle";
    case 500: return "named symbol not found";
    case 600: return "device not ready";
    case 700: return "an illegal memory access was encountered";
    case 701: return "too many resources requested for launch";
    case 719: return "unspecified launch failure";
    case 801: return "operation not supported";
    default: return nullptr;
    }
}

MANTIS_EXPORT CUresult cuGetErrorName(int e, const char** name)
{
    if (!name) return INVALID_VALUE;
    *name = error_name(e);
    return *name ? OK : INVALID_VALUE;
}

// The text of the context's fault carries the emulator's finding (kernel, block, thread, allocation).
MANTIS_EXPORT CUresult cuGetErrorString(int e, const char** text)
{
    if (!text) return INVALID_VALUE;
    static thread_local std::string detailed;
    const char* base = error_text(e);
    if (!base) { *text = nullptr; return INVALID_VALUE; }
    LOCK;
    if (e != 0 && e == g_sticky)
    {
        detailed = std::string(base) + " [emulated device: " + sticky_detail() + "]";
        *text = detailed.c_str();
    }
    else
        *text = base;
    return OK;
}

MANTIS_EXPORT CUresult cuDeviceGetCount(int* n)
{
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (!n) return INVALID_VALUE;
    *n = 1;
    return OK;
}

MANTIS_EXPORT CUresult cuDeviceGet(int* d, int ordinal)
{
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (!d) return INVALID_VALUE;
    if (ordinal != 0) return INVALID_DEVICE;
    *d = 0;
    return OK;
}

MANTIS_EXPORT CUresult cuDeviceGetName(char* name, int len, int dev)
{
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (dev != 0) return INVALID_DEVICE;
    if (!name || len <= 0) return INVALID_VALUE;
    std::snprintf(name, (size_t)len, "Mantis emulated GPU (CPU, H100 limits; correctness only)");
    return OK;
}

MANTIS_EXPORT CUresult cuDeviceGetAttribute(int* v, int attr, int dev)
{
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (dev != 0) return INVALID_DEVICE;
    if (!v) return INVALID_VALUE;
    switch (attr)
    {
    case 1: *v = 1024; break;                // max threads per block
    case 2: case 3: *v = 1024; break;        // max block dim x, y
    case 4: *v = 64; break;                  // max block dim z
    case 5: *v = 2147483647; break;          // max grid dim x
    case 6: case 7: *v = 65535; break;       // max grid dim y, z
    case 8: *v = 48 * 1024; break;           // shared memory per block
    case 9: *v = 65536; break;               // total constant memory
    case 10: *v = 32; break;                 // warp size
    case 12: *v = 65536; break;              // registers per block
    case 13: *v = 1980000; break;            // clock rate (kHz)
    case 16: *v = 132; break;                // SMs
    case 36: *v = 2619000; break;            // memory clock (kHz)
    case 37: *v = 5120; break;               // bus width
    case 38: *v = 50 * 1024 * 1024; break;   // L2
    case 39: *v = 2048; break;               // threads per SM
    case 75: *v = g_cc_major; break;         // compute capability (MANTIS_EMU_CC overrides)
    case 76: *v = g_cc_minor; break;
    case 81: *v = 228 * 1024; break;         // shared memory per SM
    case 97: *v = 227 * 1024; break;         // opt-in shared memory per block
    case 115: *v = 1; break;                 // memory pools
    default:
        if (attr <= 0 || attr > 140) return INVALID_VALUE;
        *v = 0;
    }
    return OK;
}

MANTIS_EXPORT CUresult cuDeviceTotalMem_v2(size_t* bytes, int dev)
{
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (dev != 0) return INVALID_DEVICE;
    if (!bytes) return INVALID_VALUE;
    *bytes = mem_capacity();
    return OK;
}

MANTIS_EXPORT CUresult cuDevicePrimaryCtxRetain(void** ctx, int dev)
{
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (dev != 0) return INVALID_DEVICE;
    if (!ctx) return INVALID_VALUE;
    g_primary_refs++;
    *ctx = &g_primary_context_tag;
    return OK;
}

MANTIS_EXPORT CUresult cuDevicePrimaryCtxRelease_v2(int dev)
{
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (dev != 0) return INVALID_DEVICE;
    if (g_primary_refs <= 0) return INVALID_CONTEXT;
    g_primary_refs--;
    return OK;
}

MANTIS_EXPORT CUresult cuCtxSetCurrent(void* ctx)
{
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (ctx != nullptr && (ctx != &g_primary_context_tag || g_primary_refs == 0)) return INVALID_CONTEXT;
    t_current = ctx;
    return OK;
}

MANTIS_EXPORT CUresult cuCtxGetCurrent(void** ctx)
{
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (!ctx) return INVALID_VALUE;
    *ctx = t_current;
    return OK;
}

MANTIS_EXPORT CUresult cuCtxSynchronize()
{
    NEED_CONTEXT;
    flush_stream(all_streams);
    return g_sticky;
}

MANTIS_EXPORT CUresult cuMemGetInfo_v2(size_t* free, size_t* total)
{
    NEED_CONTEXT;
    if (!free || !total) return INVALID_VALUE;
    *total = mem_capacity();
    *free = mem_capacity() - mem_used();
    return OK;
}

MANTIS_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr* p, size_t bytes)
{
    NEED_CONTEXT;
    if (!p) return INVALID_VALUE;
    int err = 0;
    *p = mem_alloc(bytes, &err);
    return err;
}

// Frees succeed even after a fault, so teardown after a failed kernel does not throw again.
MANTIS_EXPORT CUresult cuMemFree_v2(CUdeviceptr p)
{
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (p == 0) return OK;
    flush_stream(all_streams);   // cuMemFree synchronises the context
    return mem_free(p);
}

MANTIS_EXPORT CUresult cuMemHostAlloc(void** p, size_t bytes, unsigned int flags)
{
    NEED_CONTEXT;
    if (!p || bytes == 0 || flags > 0xF) return INVALID_VALUE;
    void* m = std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096);
    if (!m) return OUT_OF_MEMORY;
    pinned()[m] = bytes;
    *p = m;
    return OK;
}

MANTIS_EXPORT CUresult cuMemFreeHost(void* p)
{
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (!pinned().count(p)) return INVALID_VALUE;
    flush_stream(all_streams);   // as on a device, freeing page-locked memory waits for the copies reading it
    pinned().erase(p);
    std::free(p);
    return OK;
}

MANTIS_EXPORT CUresult cuMemAllocAsync(CUdeviceptr* p, size_t bytes, void* stream)
{
    NEED_CONTEXT;
    if (!p || !valid_stream(stream)) return !p ? INVALID_VALUE : INVALID_HANDLE;
    int err = 0;
    *p = mem_alloc(bytes, &err);
    return err;
}

MANTIS_EXPORT CUresult cuMemFreeAsync(CUdeviceptr p, void* stream)
{
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (!valid_stream(stream)) return INVALID_HANDLE;
    flush_stream(stream);
    return mem_free(p);
}

MANTIS_EXPORT CUresult cuDeviceGetDefaultMemPool(void** pool, int dev)
{
    LOCK;
    if (!g_initialized) return NOT_INITIALIZED;
    if (dev != 0) return INVALID_DEVICE;
    if (!pool) return INVALID_VALUE;
    *pool = &g_pool_tag;
    return OK;
}

MANTIS_EXPORT CUresult cuMemPoolSetAttribute(void* pool, int attr, void* value)
{
    NEED_CONTEXT;
    if (pool != &g_pool_tag) return INVALID_HANDLE;
    if (attr < 1 || attr > 8 || !value) return INVALID_VALUE;
    return OK;
}

MANTIS_EXPORT CUresult cuMemPoolTrimTo(void* pool, size_t)
{
    NEED_CONTEXT;
    return pool == &g_pool_tag ? OK : INVALID_HANDLE;
}

static CUresult copy_checked(void* dst, const void* src, size_t bytes, bool dst_dev, bool src_dev, void* stream)
{
    if (!valid_stream(stream)) return INVALID_HANDLE;
    flush_stream(stream);
    if (bytes == 0) return OK;
    if (!dst || !src) return INVALID_VALUE;
    if (dst_dev && !mem_find((uintptr_t)dst, bytes)) return INVALID_VALUE;
    if (src_dev && !mem_find((uintptr_t)src, bytes)) return INVALID_VALUE;
    std::memmove(dst, src, bytes);
    return OK;
}

MANTIS_EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t bytes, void* stream)
{
    NEED_CONTEXT;
    if (auto* st = created_stream(stream); st && bytes > 0 && src && in_pinned(src, bytes))
    {
        if (!mem_find(dst, bytes)) return INVALID_VALUE;
        const auto* b = (const unsigned char*)src;
        st->pending.push_back(PendingCopy{ ++st->issued, dst, src, bytes, std::vector<unsigned char>(b, b + bytes) });
        return OK;
    }
    return copy_checked((void*)dst, src, bytes, true, false, stream);
}

MANTIS_EXPORT CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t bytes, void* stream)
{
    NEED_CONTEXT;
    return copy_checked(dst, (const void*)src, bytes, false, true, stream);
}

MANTIS_EXPORT CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, void* stream)
{
    NEED_CONTEXT;
    return copy_checked((void*)dst, (const void*)src, bytes, true, true, stream);
}

MANTIS_EXPORT CUresult cuMemsetD8Async(CUdeviceptr dst, unsigned char v, size_t n, void* stream)
{
    NEED_CONTEXT;
    if (!valid_stream(stream)) return INVALID_HANDLE;
    flush_stream(stream);
    if (n == 0) return OK;
    if (!mem_find(dst, n)) return INVALID_VALUE;
    std::memset((void*)dst, v, n);
    return OK;
}

MANTIS_EXPORT CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int v, size_t n, void* stream)
{
    NEED_CONTEXT;
    if (!valid_stream(stream)) return INVALID_HANDLE;
    flush_stream(stream);
    if (n == 0) return OK;
    if ((dst & 3) != 0 || n > SIZE_MAX / 4 || !mem_find(dst, n * 4)) return INVALID_VALUE;
    auto* p = (unsigned int*)dst;
    for (size_t i = 0; i < n; i++) p[i] = v;
    return OK;
}

MANTIS_EXPORT CUresult cuStreamCreate(void** s, unsigned int flags)
{
    NEED_CONTEXT;
    if (!s || flags > 1) return INVALID_VALUE;
    auto* st = new Stream{ flags, {}, 0 };
    streams()[st] = st;
    *s = st;
    return OK;
}

MANTIS_EXPORT CUresult cuStreamDestroy_v2(void* s)
{
    LOCK;
    if (created_stream(s)) flush_stream(s);   // queued work still completes after a destroy
    return destroy(streams(), s);
}

MANTIS_EXPORT CUresult cuStreamSynchronize(void* s)
{
    NEED_CONTEXT;
    if (!valid_stream(s)) return INVALID_HANDLE;
    flush_stream(s);
    return g_sticky;
}

MANTIS_EXPORT CUresult cuStreamWaitEvent(void* s, void* e, unsigned int flags)
{
    NEED_CONTEXT;
    if (!valid_stream(s) || !events().count(e)) return INVALID_HANDLE;
    if (flags != 0) return INVALID_VALUE;
    flush_event(*events()[e]);   // work queued on s from now on sees what the event's stream did before its record
    return g_sticky;
}

MANTIS_EXPORT CUresult cuEventCreate(void** e, unsigned int flags)
{
    NEED_CONTEXT;
    if (!e || flags > 7) return INVALID_VALUE;
    auto* ev = new Event{ flags, false, {} };
    events()[ev] = ev;
    *e = ev;
    return OK;
}

MANTIS_EXPORT CUresult cuEventDestroy_v2(void* e)
{
    LOCK;
    return destroy(events(), e);
}

MANTIS_EXPORT CUresult cuEventRecord(void* e, void* s)
{
    NEED_CONTEXT;
    auto it = events().find(e);
    if (it == events().end() || !valid_stream(s)) return INVALID_HANDLE;
    it->second->recorded = true;
    it->second->at = std::chrono::steady_clock::now();
    auto* st = created_stream(s);
    it->second->stream = st ? s : nullptr;
    it->second->mark = st ? st->issued : 0;
    if (!st) flush_stream(s);   // on the default stream: after everything queued anywhere
    return OK;
}

MANTIS_EXPORT CUresult cuEventSynchronize(void* e)
{
    NEED_CONTEXT;
    if (!events().count(e)) return INVALID_HANDLE;
    flush_event(*events()[e]);
    return g_sticky;
}

// Host time between the records: the emulator measures no device speed; the value only keeps timing code working.
MANTIS_EXPORT CUresult cuEventElapsedTime(float* ms, void* a, void* b)
{
    NEED_CONTEXT;
    if (!ms) return INVALID_VALUE;
    auto ia = events().find(a), ib = events().find(b);
    if (ia == events().end() || ib == events().end()) return INVALID_HANDLE;
    if ((ia->second->flags & 2) || (ib->second->flags & 2)) return INVALID_HANDLE;   // CU_EVENT_DISABLE_TIMING
    if (!ia->second->recorded || !ib->second->recorded) return INVALID_HANDLE;
    *ms = std::chrono::duration<float, std::milli>(ib->second->at - ia->second->at).count();
    return OK;
}

// ---- modules ----
static const char kImageMagic[] = "MANTISEMU1";

static void write_log(unsigned int n, const int* opts, void** vals, const std::string& msg)
{
    char* buf = nullptr;
    size_t size = 0;
    for (unsigned int i = 0; i < n; i++)
    {
        if (opts[i] == 5) buf = (char*)vals[i];                       // CU_JIT_ERROR_LOG_BUFFER
        if (opts[i] == 6) size = (size_t)(uintptr_t)vals[i];          // CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES
    }
    if (buf && size) std::snprintf(buf, size, "%s", msg.c_str());
}

MANTIS_EXPORT CUresult cuModuleLoadDataEx(void** module, const void* image, unsigned int n, int* opts, void** vals)
{
    NEED_CONTEXT;
    if (!module || !image || (n && (!opts || !vals))) return INVALID_VALUE;
    const auto* img = (const unsigned char*)image;
    if (std::memcmp(img, kImageMagic, sizeof kImageMagic - 1) != 0)
    {
        write_log(n, opts, vals, "not an emulated-device module (real PTX or CUBIN cannot run on the emulated device: clear the kernel cache?)");
        return INVALID_IMAGE;
    }
    uint64_t len;
    std::memcpy(&len, img + 10, 8);
    int fd = memfd_create("mantis-emu-module", MFD_CLOEXEC);
    if (fd < 0) return OUT_OF_MEMORY;
    const unsigned char* so = img + 18;
    for (uint64_t done = 0; done < len;)
    {
        ssize_t w = write(fd, so + done, len - done);
        if (w <= 0) { close(fd); return OUT_OF_MEMORY; }
        done += (uint64_t)w;
    }
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    void* dl = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!dl)
    {
        close(fd);
        write_log(n, opts, vals, std::string("dlopen: ") + dlerror());
        return INVALID_IMAGE;
    }
    auto* info = (const MantisModuleInfo*)dlsym(dl, MANTIS_EMU_MODULE_SYMBOL);
    if (!info || info->abi != MANTIS_EMU_ABI)
    {
        dlclose(dl);
        close(fd);
        write_log(n, opts, vals, "module built for another emulator ABI (recompile)");
        return INVALID_IMAGE;
    }
    install_module(info);
    auto* m = new Module{ dl, info, {}, path, fd };
    for (int i = 0; i < info->num_kernels; i++)
    {
        auto* f = new Function{ info->kernels[i].name, &info->kernels[i], info };
        m->functions.push_back(f);
        functions()[f] = f;
    }
    modules()[m] = m;
    *module = m;
    return OK;
}

MANTIS_EXPORT CUresult cuModuleUnload(void* module)
{
    LOCK;
    auto it = modules().find(module);
    if (it == modules().end()) return INVALID_HANDLE;
    for (Function* f : it->second->functions) { functions().erase(f); delete f; }
    dlclose(it->second->dl);
    close(it->second->fd);
    delete it->second;
    modules().erase(it);
    return OK;
}

MANTIS_EXPORT CUresult cuModuleGetFunction(void** fn, void* module, const char* name)
{
    NEED_CONTEXT;
    if (!fn || !name) return INVALID_VALUE;
    auto it = modules().find(module);
    if (it == modules().end()) return INVALID_HANDLE;
    for (Function* f : it->second->functions)
        if (f->name == name) { *fn = f; return OK; }
    return NOT_FOUND;
}

MANTIS_EXPORT CUresult cuFuncGetAttribute(int* v, int attr, void* fn)
{
    NEED_CONTEXT;
    auto it = functions().find(fn);
    if (it == functions().end()) return INVALID_HANDLE;
    if (!v) return INVALID_VALUE;
    Function& f = *it->second;
    switch (attr)
    {
    case 0: *v = f.info->max_threads_per_block; break;
    case 1: *v = (int)f.static_smem; break;
    case 2: case 3: *v = 0; break;
    case 4: *v = 32; break;
    case 5: case 6: *v = 90; break;
    case 8: *v = f.max_dynamic_smem; break;
    case 9: *v = -1; break;
    default: return INVALID_VALUE;
    }
    return OK;
}

MANTIS_EXPORT CUresult cuFuncSetAttribute(void* fn, int attr, int value)
{
    NEED_CONTEXT;
    auto it = functions().find(fn);
    if (it == functions().end()) return INVALID_HANDLE;
    Function& f = *it->second;
    if (attr == 8)   // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES: opt-in up to 227 KB minus the static part
    {
        if (value < 0 || (size_t)value + f.static_smem > 227 * 1024) return INVALID_VALUE;
        f.max_dynamic_smem = value;
        return OK;
    }
    if (attr == 9) return value >= -1 && value <= 100 ? OK : INVALID_VALUE;
    return INVALID_VALUE;
}

MANTIS_EXPORT CUresult cuLaunchKernel(void* fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by,
                                      unsigned int bz, unsigned int shared, void* stream, void** params, void** extra)
{
    NEED_CONTEXT;
    auto it = functions().find(fn);
    if (it == functions().end()) return INVALID_HANDLE;
    if (!valid_stream(stream)) return INVALID_HANDLE;
    flush_stream(stream);
    Function& f = *it->second;
    if (extra != nullptr) return NOT_SUPPORTED;   // only kernelParams are emulated
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) return INVALID_VALUE;
    if (gx > 2147483647u || gy > 65535 || gz > 65535) return INVALID_VALUE;
    if (bx > 1024 || by > 1024 || bz > 64 || (unsigned long long)bx * by * bz > 1024) return INVALID_VALUE;
    if (bx * by * bz > (unsigned int)f.info->max_threads_per_block) return LAUNCH_OUT_OF_RESOURCES;
    if ((int)shared > f.max_dynamic_smem) return INVALID_VALUE;
    if (f.info->num_params > 0 && !params) return INVALID_VALUE;
    for (int i = 0; i < f.info->num_params; i++)
    {
        if (!f.info->param_is_pointer[i]) continue;
        uintptr_t p;
        std::memcpy(&p, params[i], sizeof p);
        if (p != 0 && !mem_find(p, 0))
        {
            std::string d = "kernel " + f.name + ": pointer parameter " + std::to_string(i) + " is " + mem_describe(p) +
                            " (freed memory, a host pointer, or arguments in the wrong order)";
            set_sticky(ILLEGAL_ADDRESS, d);
            return ILLEGAL_ADDRESS;
        }
    }
    std::string detail;
    int r = emu::launch(f, mantis_uint3{ gx, gy, gz }, mantis_uint3{ bx, by, bz }, shared, params, detail);
    if (r == LAUNCH_OUT_OF_RESOURCES)   // a resource limit refuses the launch; the context stays usable
    {
        std::fprintf(stderr, "mantis emulated device: %s\n", detail.c_str());
        return r;
    }
    if (r != 0)
    {
        set_sticky(r, detail);
        return r;
    }
    return OK;
}
