// Device memory of the emulated GPU: host memory, 256-byte aligned like cuMemAlloc's, poisoned with a NaN
// pattern on allocation (real device memory is not zeroed), with a guard zone on each side that launches check.
#include "emu.h"
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace emu
{
namespace
{
std::map<uintptr_t, Allocation>& table()
{
    static std::map<uintptr_t, Allocation> t;
    return t;
}
uint64_t g_next_id = 1;
size_t g_used = 0;
constexpr size_t kGuard = 1024;

void fill(void* p, size_t bytes, uint32_t word)
{
    auto* b = static_cast<unsigned char*>(p);
    size_t i = 0;
    for (; i + 4 <= bytes; i += 4) std::memcpy(b + i, &word, 4);
    for (size_t k = 0; i < bytes; i++, k++) b[i] = reinterpret_cast<const unsigned char*>(&word)[k];
}

// First byte in [p, p + bytes) that differs from the guard pattern, or -1.
long first_damaged(const unsigned char* p, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        if (p[i] != reinterpret_cast<const unsigned char*>(&kGuardWord)[i & 3]) return (long)i;
    return -1;
}
}   // namespace

size_t mem_capacity()
{
    static size_t cap = [] {
        const char* e = std::getenv("MANTIS_EMU_MEMORY_MB");
        long mb = e ? std::atol(e) : 0;
        return (size_t)(mb > 0 ? mb : 4096) * 1024 * 1024;
    }();
    return cap;
}

size_t mem_used() { return g_used; }

uintptr_t mem_alloc(size_t bytes, int* error)
{
    if (bytes == 0) { *error = 1; return 0; }                        // CUDA_ERROR_INVALID_VALUE
    if (bytes > mem_capacity() || g_used + bytes > mem_capacity()) { *error = 2; return 0; }   // OUT_OF_MEMORY
    const size_t rounded = (bytes + 255) & ~size_t(255);
    void* raw = nullptr;
    if (posix_memalign(&raw, 256, kGuard + rounded + kGuard) != 0) { *error = 2; return 0; }
    auto* b = static_cast<unsigned char*>(raw);
    fill(b, kGuard, kGuardWord);
    fill(b + kGuard, bytes, kPoison);
    fill(b + kGuard + bytes, rounded - bytes + kGuard, kGuardWord);
    Allocation a{ g_next_id++, reinterpret_cast<uintptr_t>(b + kGuard), bytes, kGuard, raw };
    table()[a.base] = a;
    g_used += bytes;
    *error = 0;
    return a.base;
}

int mem_free(uintptr_t p)
{
    auto it = table().find(p);
    if (it == table().end()) return 1;   // CUDA_ERROR_INVALID_VALUE: not an allocation's base (or freed twice)
    g_used -= it->second.bytes;
    std::free(it->second.raw);
    table().erase(it);
    return 0;
}

const Allocation* mem_find(uintptr_t p, size_t bytes)
{
    auto& t = table();
    auto it = t.upper_bound(p);
    if (it == t.begin()) return nullptr;
    --it;
    const Allocation& a = it->second;
    if (p < a.base || p + bytes > a.base + a.bytes || p + bytes < p) return nullptr;
    return &a;
}

std::string mem_describe(uintptr_t p)
{
    char buf[160];
    if (const Allocation* a = mem_find(p, 0))
        std::snprintf(buf, sizeof buf, "allocation #%" PRIu64 " (%zu bytes at 0x%" PRIxPTR ") offset %zu", a->id, a->bytes, a->base,
                      (size_t)(p - a->base));
    else
        std::snprintf(buf, sizeof buf, "0x%" PRIxPTR " (in no live allocation)", p);
    return buf;
}

std::string mem_check_guards()
{
    std::string out;
    for (auto& [base, a] : table())
    {
        const auto* lo = reinterpret_cast<const unsigned char*>(base) - a.guard;
        const size_t tail = ((a.bytes + 255) & ~size_t(255)) - a.bytes + a.guard;
        long before = first_damaged(lo, a.guard);
        long after = first_damaged(reinterpret_cast<const unsigned char*>(base) + a.bytes, tail);
        if (before < 0 && after < 0) continue;
        char buf[256];
        if (after >= 0)
        {
            long last = after;
            const auto* region = reinterpret_cast<const unsigned char*>(base) + a.bytes;
            for (long i = (long)tail - 1; i > after; i--)
                if (region[i] != reinterpret_cast<const unsigned char*>(&kGuardWord)[i & 3]) { last = i; break; }
            std::snprintf(buf, sizeof buf, "wrote past the end of allocation #%" PRIu64 " (%zu bytes at 0x%" PRIxPTR "): bytes +%ld..+%ld after its end",
                          a.id, a.bytes, base, after, last);
        }
        else
            std::snprintf(buf, sizeof buf, "wrote before the start of allocation #%" PRIu64 " (%zu bytes at 0x%" PRIxPTR "): %ld bytes before it",
                          a.id, a.bytes, base, (long)a.guard - before);
        if (!out.empty()) out += "; ";
        out += buf;
        // repair, so one overflow is reported once
        fill(const_cast<unsigned char*>(lo), a.guard, kGuardWord);
        fill(reinterpret_cast<unsigned char*>(base) + a.bytes, tail, kGuardWord);
    }
    return out;
}
}   // namespace emu
