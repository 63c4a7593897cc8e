// The sm_80 tensor-core instructions, one PTX instruction per wrapper (the emulator twins each one, see
// kernels/emu/twins_mma.h): bf16 mma.sync with f32 accumulation, ldmatrix from shared memory, cp.async into
// shared memory with its commit / wait groups, and the generic -> shared address conversion they take.
// Shared addresses are 64-bit shared-window addresses (cvta.to.shared.u64), which PTX accepts in [] operands.
#pragma once
#include "common.cuh"

static __device__ __forceinline__ unsigned long long smem_addr(const void* p)
{
    unsigned long long a;
    asm("cvta.to.shared.u64 %0, %1;" : "=l"(a) : "l"(p));
    return a;
}

// Two f32 -> one register of two bf16 (round to nearest even): lo in the low half, as the fragments pack them.
static __device__ __forceinline__ unsigned int pack_bf16x2(float lo, float hi)
{
    unsigned int r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

// d = a (16x16, row) * b (16x8, col) + c, bf16 in, f32 out; fragment layouts in kernels/emu/twins_mma.h.
static __device__ __forceinline__ void mma_16816(float (&d)[4], const unsigned int* a, unsigned int b0, unsigned int b1)
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%10, %11, %12, %13};"
                 : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1), "f"(d[0]), "f"(d[1]), "f"(d[2]), "f"(d[3]));
}

// d = a (16x8) * b (8x8) + c: the k = 8 tail of head dims that are an odd multiple of 8 (72 = 4 x 16 + 8).
static __device__ __forceinline__ void mma_1688(float (&d)[4], unsigned int a0, unsigned int a1, unsigned int b0)
{
    asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5}, {%6}, {%7, %8, %9, %10};"
                 : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
                 : "r"(a0), "r"(a1), "r"(b0), "f"(d[0]), "f"(d[1]), "f"(d[2]), "f"(d[3]));
}

static __device__ __forceinline__ void ldsm_x4(unsigned int& r0, unsigned int& r1, unsigned int& r2, unsigned int& r3, unsigned long long a)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];" : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "l"(a) : "memory");
}

static __device__ __forceinline__ void ldsm_x4_t(unsigned int& r0, unsigned int& r1, unsigned int& r2, unsigned int& r3, unsigned long long a)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];" : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "l"(a) : "memory");
}

static __device__ __forceinline__ void ldsm_x2(unsigned int& r0, unsigned int& r1, unsigned long long a)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0, %1}, [%2];" : "=r"(r0), "=r"(r1) : "l"(a) : "memory");
}

static __device__ __forceinline__ void ldsm_x2_t(unsigned int& r0, unsigned int& r1, unsigned long long a)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0, %1}, [%2];" : "=r"(r0), "=r"(r1) : "l"(a) : "memory");
}

// 16 bytes global -> shared, of which the first src_bytes are read and the rest zero-filled (0 = zero fill).
static __device__ __forceinline__ void cp_async16(void* dst, const void* src, unsigned int src_bytes)
{
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" : : "l"(smem_addr(dst)), "l"(src), "r"(src_bytes) : "memory");
}

static __device__ __forceinline__ void cp_async_commit()
{
    asm volatile("cp.async.commit_group;" : : : "memory");
}

// Waits until at most N of this thread's committed groups are still in flight.
template <int N>
static __device__ __forceinline__ void cp_async_wait()
{
    asm volatile("cp.async.wait_group %0;" : : "n"(N) : "memory");
}
