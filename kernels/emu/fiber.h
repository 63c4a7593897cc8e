// Minimal cooperative fibers: a stack and a saved stack pointer; switching saves the callee-saved registers
// and the floating-point control words (x86-64 System V), or uses ucontext elsewhere.
#pragma once
#include <cstddef>

namespace emu
{
struct FiberContext;
using FiberEntry = void (*)(void* arg);

// Prepares `ctx` to run entry(arg) on [stack, stack + size) the first time it is switched to.
void fiber_init(FiberContext* ctx, void* stack, size_t size, FiberEntry entry, void* arg);
// Saves the running context into `from` and resumes `to`.
void fiber_switch(FiberContext* from, FiberContext* to);

#if defined(__x86_64__)
struct FiberContext { void* sp = nullptr; };
#else
}   // namespace emu
#include <ucontext.h>
namespace emu
{
struct FiberContext { ucontext_t uc; };
#endif
}   // namespace emu
