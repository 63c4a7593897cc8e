// What a kernel source sees when the emulated device "compiles" it: CUDA's device-side vocabulary for a host
// C++17 compiler. Threads are fibers of the runtime (libmantis_emu.so); threadIdx & co. read the running
// fiber's record, barriers, warp collectives and shared memory call into the runtime through __mantis_api.
// Included before the source (-include); the markers __global__, __shared__ and __launch_bounds__ stay in the
// preprocessed text, where the emulated NVRTC rewrites them (see nvrtc.cpp).
#pragma once
#include "emu_abi.h"
#include <cmath>
#include <cstdio>
#include <type_traits>

extern "C" {
extern __attribute__((visibility("hidden"))) const MantisEmuApi* __mantis_api;
extern __attribute__((visibility("hidden"))) MantisThread* __mantis_cur;
}

#define __CUDA_ARCH__ 900
#define __CUDA_ARCH_FEAT_SM90_ALL 1   // sm_90a: the arch-specific instructions (wgmma, setmaxnreg) have twins
#define __global__ __global__
#define __shared__ __shared__
#define __launch_bounds__(...) __launch_bounds__(__VA_ARGS__)
#define __device__
#define __host__
#define __constant__ static
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __align__(n) alignas(n)
#define __grid_constant__

typedef mantis_uint3 uint3;
struct dim3 { unsigned int x, y, z; };

#define threadIdx (__mantis_cur->threadIdx)
#define blockIdx (__mantis_cur->blockIdx)
#define blockDim (__mantis_cur->blockDim)
#define gridDim (__mantis_cur->gridDim)
#define warpSize 32

static inline void __syncthreads() { __mantis_api->syncthreads(); }
static inline void __syncwarp(unsigned int mask = 0xffffffffu) { __mantis_api->warp_collective(MANTIS_SYNCWARP, mask, 0, 0, 32); }
static inline void __trap() { __mantis_api->fail("__trap() called"); }
static inline void* __mantis_dynamic_smem() { return __mantis_cur->dynamic_smem; }
// The shared-memory window the sm_90 instructions address (mbarrier, cp.async.bulk, wgmma descriptors): offsets
// into this block's dynamic shared memory. Static __shared__ lives elsewhere in the emulator and is refused.
static inline size_t __cvta_generic_to_shared(const void* p)
{
    const char* base = static_cast<const char*>(__mantis_cur->dynamic_smem);
    const char* c = static_cast<const char*>(p);
    if (c < base || c > base + __mantis_cur->dynamic_smem_bytes)
        __mantis_api->fail("__cvta_generic_to_shared: the emulator maps only dynamic (extern __shared__) memory into the shared window");
    return (size_t)(c - base);
}

template <class T> static inline unsigned long long __mantis_bits(T v)
{
    static_assert(sizeof(T) <= 8, "warp collectives move at most 8 bytes");
    unsigned long long b = 0;
    __builtin_memcpy(&b, &v, sizeof(T));
    return b;
}
template <class T> static inline T __mantis_from_bits(unsigned long long b) { T v; __builtin_memcpy(&v, &b, sizeof(T)); return v; }
#define MANTIS_SHFL(fn, kind)                                                                                     \
    template <class T> static inline T fn(unsigned int mask, T v, int arg, int width = 32)                        \
    { return __mantis_from_bits<T>(__mantis_api->warp_collective(kind, mask, __mantis_bits(v), arg, width)); }
MANTIS_SHFL(__shfl_sync, MANTIS_SHFL_IDX)
MANTIS_SHFL(__shfl_up_sync, MANTIS_SHFL_UP)
MANTIS_SHFL(__shfl_down_sync, MANTIS_SHFL_DOWN)
MANTIS_SHFL(__shfl_xor_sync, MANTIS_SHFL_XOR)
#undef MANTIS_SHFL
static inline unsigned int __ballot_sync(unsigned int mask, int p) { return (unsigned int)__mantis_api->warp_collective(MANTIS_VOTE_BALLOT, mask, p != 0, 0, 32); }
static inline int __any_sync(unsigned int mask, int p) { return (int)__mantis_api->warp_collective(MANTIS_VOTE_ANY, mask, p != 0, 0, 32); }
static inline int __all_sync(unsigned int mask, int p) { return (int)__mantis_api->warp_collective(MANTIS_VOTE_ALL, mask, p != 0, 0, 32); }
template <class T> static inline unsigned int __match_any_sync(unsigned int mask, T v)
{ return (unsigned int)__mantis_api->warp_collective(MANTIS_MATCH_ANY, mask, __mantis_bits(v), 0, 32); }
template <class T> static inline unsigned int __match_all_sync(unsigned int mask, T v, int* pred)
{
    unsigned int r = (unsigned int)__mantis_api->warp_collective(MANTIS_MATCH_ALL, mask, __mantis_bits(v), 0, 32);
    *pred = r != 0;
    return r;
}
// The lanes of this warp that exist in the block (the emulator does not track divergence).
static inline unsigned int __activemask()
{
    const unsigned int n = blockDim.x * blockDim.y * blockDim.z, first = __mantis_cur->warp * 32, live = n - first;
    return live >= 32 ? 0xffffffffu : ((1u << live) - 1u);
}

// Atomics: fibers of one launch run on one host thread and switch only at barriers and collectives, so a
// plain read-modify-write is atomic.
template <class T> static inline T atomicAdd(T* p, T v) { T o = *p; *p = o + v; return o; }
template <class T> static inline T atomicSub(T* p, T v) { T o = *p; *p = o - v; return o; }
template <class T> static inline T atomicExch(T* p, T v) { T o = *p; *p = v; return o; }
template <class T> static inline T atomicMax(T* p, T v) { T o = *p; *p = o < v ? v : o; return o; }
template <class T> static inline T atomicMin(T* p, T v) { T o = *p; *p = v < o ? v : o; return o; }
template <class T> static inline T atomicAnd(T* p, T v) { T o = *p; *p = o & v; return o; }
template <class T> static inline T atomicOr(T* p, T v) { T o = *p; *p = o | v; return o; }
template <class T> static inline T atomicXor(T* p, T v) { T o = *p; *p = o ^ v; return o; }
template <class T> static inline T atomicCAS(T* p, T cmp, T v) { T o = *p; if (o == cmp) *p = v; return o; }

// Bit casts and math intrinsics (the fast-math __ forms are computed exactly here; on the device they are
// approximate within a few ulp, which every tolerance of the checks covers).
static inline float __int_as_float(int i) { float f; __builtin_memcpy(&f, &i, 4); return f; }
static inline float __uint_as_float(unsigned int i) { float f; __builtin_memcpy(&f, &i, 4); return f; }
static inline int __float_as_int(float f) { int i; __builtin_memcpy(&i, &f, 4); return i; }
static inline unsigned int __float_as_uint(float f) { unsigned int i; __builtin_memcpy(&i, &f, 4); return i; }
static inline double __longlong_as_double(long long i) { double d; __builtin_memcpy(&d, &i, 8); return d; }
static inline long long __double_as_longlong(double d) { long long i; __builtin_memcpy(&i, &d, 8); return i; }
static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
static inline double rsqrt(double x) { return 1.0 / sqrt(x); }
// __expf & co.: glibc declares these names as internal aliases it does not export, so map them to the exact
// functions (on the device they are approximate within a few ulp, which every tolerance of the checks covers).
#define __expf expf
#define __logf logf
#define __powf powf
#define __sinf sinf
#define __cosf cosf
#define __tanf tanf
#define __exp10f exp10f
static inline float __fdividef(float a, float b) { return a / b; }
static inline float __frcp_rn(float x) { return 1.0f / x; }
static inline float __fsqrt_rn(float x) { return sqrtf(x); }
static inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
static inline float __saturatef(float x) { return x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : (x != x ? 0.0f : x); }
static inline int __popc(unsigned int x) { return __builtin_popcount(x); }
static inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
static inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned int)x); }
static inline int __ffs(int x) { return __builtin_ffs(x); }
static inline unsigned int __brev(unsigned int x)
{
    unsigned int r = 0;
    for (int i = 0; i < 32; i++) r |= ((x >> i) & 1u) << (31 - i);
    return r;
}
template <class T> static inline T __ldg(const T* p) { return *p; }
using std::isfinite;
using std::isinf;
using std::isnan;

// CUDA's integer and float min/max overloads.
#define MANTIS_MINMAX(T)                                                  \
    static inline T min(T a, T b) { return b < a ? b : a; }               \
    static inline T max(T a, T b) { return a < b ? b : a; }
MANTIS_MINMAX(int)
MANTIS_MINMAX(unsigned int)
MANTIS_MINMAX(long)
MANTIS_MINMAX(unsigned long)
MANTIS_MINMAX(long long)
MANTIS_MINMAX(unsigned long long)
MANTIS_MINMAX(float)
MANTIS_MINMAX(double)
#undef MANTIS_MINMAX
static inline unsigned int min(int a, unsigned int b) { return min((unsigned int)a, b); }
static inline unsigned int min(unsigned int a, int b) { return min(a, (unsigned int)b); }
static inline unsigned int max(int a, unsigned int b) { return max((unsigned int)a, b); }
static inline unsigned int max(unsigned int a, int b) { return max(a, (unsigned int)b); }

#include "ptx_twins.h"
