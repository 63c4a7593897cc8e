// The interface between the emulator runtime (libmantis_emu.so) and a kernel module it compiled (a host
// shared object built from a .cu file against emu_shim.h). Plain C layout: both sides are built by g++,
// but at different times, so nothing here may depend on inline C++ types. Bump MANTIS_EMU_ABI on change.
#pragma once
#include <stddef.h>

#define MANTIS_EMU_ABI 2

struct mantis_uint3 { unsigned int x, y, z; };

// One emulated CUDA thread as the kernel code sees it (threadIdx, blockIdx, ... read through a pointer the
// runtime updates at every fiber switch).
struct MantisThread
{
    mantis_uint3 threadIdx;
    mantis_uint3 blockIdx;
    mantis_uint3 blockDim;
    mantis_uint3 gridDim;
    unsigned int lane;        // linear thread id % 32
    unsigned int warp;        // linear thread id / 32
    unsigned int linear;      // linear thread id in the block
    void* dynamic_smem;       // extern __shared__ base of this block
    unsigned int dynamic_smem_bytes;   // its size (the launch's sharedMemBytes): the shared window sm_90 twins address
    unsigned long long block_serial;   // distinct for every block the runtime runs (per-block twin state resets on change)
};

// Warp collective kinds (emu_shim.h templates funnel into one runtime call).
enum MantisCollective
{
    MANTIS_SHFL_IDX = 0, MANTIS_SHFL_UP = 1, MANTIS_SHFL_DOWN = 2, MANTIS_SHFL_XOR = 3,
    MANTIS_VOTE_BALLOT = 4, MANTIS_VOTE_ANY = 5, MANTIS_VOTE_ALL = 6,
    MANTIS_MATCH_ANY = 7, MANTIS_MATCH_ALL = 8, MANTIS_SYNCWARP = 9,
};

// Calls from kernel code into the runtime.
struct MantisEmuApi
{
    int abi;
    void (*syncthreads)(void);
    // A warp collective over `mask`: value is this lane's 64-bit operand, arg the lane/delta/mask argument,
    // width the shuffle segment. Returns the lane's result (shuffled value, ballot, match mask).
    unsigned long long (*warp_collective)(int kind, unsigned int mask, unsigned long long value, int arg, int width);
    // Static __shared__ storage of the current block for the declaration identified by `tag` (one per
    // declaration and template instance): same address for every thread of the block, poisoned per block.
    void* (*static_smem)(const void* tag, size_t bytes, size_t align, const char* name);
    // Reports misuse inside a kernel (an unsupported construct, a trap) and ends the launch with an error.
    void (*fail)(const char* message);
    // A scheduling point for a thread that spins on a condition only another thread can change (an mbarrier
    // wait): the runtime runs the others and comes back. `first` is 1 on the first call of a wait, 0 when the
    // same wait spins again; a round in which every thread that ran only spun again is a deadlock, and the
    // launch ends with an error naming kernel, block, thread and `what`.
    void (*spin_wait)(int first, const char* what);
};

// What a module exports (generated per module by the emulated NVRTC).
struct MantisKernelInfo
{
    const char* name;
    void (*launch)(void** params);   // unpacks cuLaunchKernel's void** params and calls the kernel
    int num_params;
    const unsigned char* param_is_pointer;   // [num_params]
    const unsigned int* param_size;          // [num_params]
    int max_threads_per_block;               // __launch_bounds__, else 1024
};

struct MantisModuleInfo
{
    int abi;
    int num_kernels;
    const MantisKernelInfo* kernels;
    // Set by the runtime at load: the API table and the slot holding the current thread.
    const MantisEmuApi** api_slot;
    MantisThread** current_slot;
};

// Every module exports this symbol.
#define MANTIS_EMU_MODULE_SYMBOL "mantis_emu_module"
