#include "fiber.h"
#include <cstdint>

#if defined(__x86_64__)
extern "C" void mantis_fiber_switch(void** save_sp, void* load_sp);
extern "C" void mantis_fiber_trampoline();

// Saved frame (low to high): fcw (4 bytes, then pad), mxcsr, r15, r14, r13, r12, rbx, rbp, return address.
asm(R"(
.text
.globl mantis_fiber_switch
.hidden mantis_fiber_switch
.type mantis_fiber_switch,@function
mantis_fiber_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $16, %rsp
    stmxcsr 8(%rsp)
    fnstcw (%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    fldcw (%rsp)
    ldmxcsr 8(%rsp)
    addq $16, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
.size mantis_fiber_switch, .-mantis_fiber_switch

.globl mantis_fiber_trampoline
.hidden mantis_fiber_trampoline
.type mantis_fiber_trampoline,@function
mantis_fiber_trampoline:
    movq %r12, %rdi
    callq *%r13
    ud2
.size mantis_fiber_trampoline, .-mantis_fiber_trampoline
)");

namespace emu
{
void fiber_init(FiberContext* ctx, void* stack, size_t size, FiberEntry entry, void* arg)
{
    uintptr_t top = (reinterpret_cast<uintptr_t>(stack) + size) & ~uintptr_t(15);
    uint64_t* ret = reinterpret_cast<uint64_t*>(top - 8);     // ret pops it: rsp = top, 16-byte aligned
    *ret = reinterpret_cast<uint64_t>(&mantis_fiber_trampoline);
    uint64_t* frame = ret - 8;                                 // 16 bytes of control words + 6 registers
    frame[0] = 0x037f;                                         // x87 control word (default)
    frame[1] = 0x1f80;                                         // mxcsr (default: all exceptions masked)
    frame[2] = 0;                                              // r15
    frame[3] = 0;                                              // r14
    frame[4] = reinterpret_cast<uint64_t>(entry);              // r13
    frame[5] = reinterpret_cast<uint64_t>(arg);                // r12
    frame[6] = 0;                                              // rbx
    frame[7] = 0;                                              // rbp
    ctx->sp = frame;
}

void fiber_switch(FiberContext* from, FiberContext* to) { mantis_fiber_switch(&from->sp, to->sp); }
}   // namespace emu
#else
namespace emu
{
void fiber_init(FiberContext* ctx, void* stack, size_t size, FiberEntry entry, void* arg)
{
    getcontext(&ctx->uc);
    ctx->uc.uc_stack.ss_sp = stack;
    ctx->uc.uc_stack.ss_size = size;
    ctx->uc.uc_link = nullptr;
    makecontext(&ctx->uc, reinterpret_cast<void (*)()>(entry), 1, arg);   // one pointer argument (LP64 ok)
}

void fiber_switch(FiberContext* from, FiberContext* to) { swapcontext(&from->uc, &to->uc); }
}   // namespace emu
#endif
