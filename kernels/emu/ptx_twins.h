// Emulated twins of the inline-PTX instructions the kernels use. The emulated NVRTC rewrites each
// `asm("mnemonic operands;" : outputs : inputs)` statement into a call `mantis_ptx::<mnemonic with '.' -> '_'>(
// operand 0, operand 1, ...)`: outputs ("=r", "+f", ...) are passed by reference, inputs by value, in operand
// order. A mnemonic without a twin here is a compile error; tests/.../PtxTwinTests lists every mnemonic in
// kernels/ and fails if one is missing from this file.
//
// Twins follow the PTX ISA exactly (rounding, NaN results). Warp-wide instructions (mma.sync, ldmatrix, the
// later tensor-core ones) are written the same way: the twin runs on every lane, gathers the other lanes'
// fragment registers with the warp collective (__shfl_sync, i.e. __mantis_api->warp_collective, which also checks
// that the whole warp takes part), and computes its own outputs from the PTX ISA's lane <-> fragment-element
// tables (for mma.m16n8k16 A: row = lane / 4 (+8), col = (lane % 4) * 2 (+1) (+8)). cp.async becomes a plain copy
// (its wait a no-op), mbarrier a runtime barrier object like __syncthreads'; see README.md here.
#pragma once

namespace mantis_ptx
{
// cvt.rn.bf16.f32 d, a: round to nearest even; a NaN gives the canonical bf16 NaN 0x7FFF; no flush of
// subnormals (no .ftz); overflow rounds to +-inf as IEEE round-to-nearest does.
static inline void cvt_rn_bf16_f32(unsigned short& d, float a)
{
    unsigned int u;
    __builtin_memcpy(&u, &a, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) { d = 0x7fff; return; }
    u += 0x7fffu + ((u >> 16) & 1u);
    d = (unsigned short)(u >> 16);
}
}   // namespace mantis_ptx
#include "twins_mma.h"   // mma.sync, ldmatrix, cp.async (sm_80 tensor-core path)
#include "twins_sm90.h"   // wgmma, cp.async.bulk.tensor (TMA), mbarrier, setmaxnreg (sm_90a path)
