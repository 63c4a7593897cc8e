// Internals of the emulated device shared by the driver, NVRTC and cuBLASLt parts of libmantis_emu.so.
#pragma once
#include "emu_abi.h"
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#define MANTIS_EXPORT extern "C" __attribute__((visibility("default")))

namespace emu
{
// Every exported call takes this lock: the emulated device executes one call at a time, in program order
// (streams are therefore always in order and every asynchronous call has finished when it returns, except the
// deferred page-locked host-to-device copies of driver.cpp, which run at their stream's next ordering point).
std::recursive_mutex& api_lock();

// ---- memory (memory.cpp) ----
struct Allocation
{
    uint64_t id;
    uintptr_t base;      // first byte the program may use (256-byte aligned)
    size_t bytes;        // size the program asked for
    size_t guard;        // bytes of guard zone on each side
    void* raw;           // what was malloc'ed
};
constexpr uint32_t kPoison = 0x7fff7fffu;     // NaN as fp32 and as two bf16
constexpr uint32_t kGuardWord = 0x7fa57fa5u;  // NaN too, so an out-of-bounds read poisons results

// Allocates `bytes` poisoned with NaN, guard zones around; returns 0 and sets *error on failure.
uintptr_t mem_alloc(size_t bytes, int* error);
// 0 ok, else a CUresult.
int mem_free(uintptr_t p);
// The live allocation holding [p, p + bytes) (bytes may be 0: p may equal its end), or null.
const Allocation* mem_find(uintptr_t p, size_t bytes);
// Empty when every guard zone is intact, else a description naming the allocation(s) written out of bounds.
std::string mem_check_guards();
size_t mem_used();
size_t mem_capacity();
std::string mem_describe(uintptr_t p);

// ---- the sticky context error (driver.cpp) ----
// Records a launch failure: CUDA keeps returning it from every later call, as a real context does.
void set_sticky(int cuResult, const std::string& detail);
int sticky();
// Runs the deferred page-locked copies that work queued on `stream` must see (driver.cpp, "deferred copies"):
// every call that queues work on a stream calls it first.
void flush_stream_for(void* stream);

// ---- execution (runtime.cpp) ----
struct Function
{
    std::string name;
    const MantisKernelInfo* info;
    const MantisModuleInfo* module;
    int max_dynamic_smem = 48 * 1024;
    size_t static_smem = 0;   // measured on the first launch (declarations are discovered as they run)
};
// Runs a whole grid. Returns 0 or a CUresult, with `detail` naming kernel, block, thread.
int launch(Function& f, mantis_uint3 grid, mantis_uint3 block, unsigned int shared_bytes, void** params, std::string& detail);
void install_module(const MantisModuleInfo* m);

// Fiber order between barriers: MANTIS_EMU_SEED (0 forward, 1 reverse, else shuffled with that seed).
uint64_t order_seed();
}   // namespace emu
