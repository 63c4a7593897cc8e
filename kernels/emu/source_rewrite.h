// The emulated NVRTC's source transformation, on the preprocessed text of one kernel source.
#pragma once
#include <string>
#include <vector>

namespace emu
{
struct KernelEntry { std::string name; std::string launch_bounds; };

struct RewriteResult
{
    bool ok = true;
    std::string error;          // "file:line: message" when !ok
    std::string text;           // compilable host C++ (already preprocessed)
    std::vector<KernelEntry> kernels;
};

// Rewrites, inside the files under `user_dir` only (system and shim headers pass unchanged):
//  - asm("mnemonic %0, %1;" : "=h"(out) : "f"(in)) -> ::mantis_ptx::mnemonic_with_underscores(out, in)
//  - __shared__ T name[dims];        -> a reference into the block's static shared memory (runtime-provided)
//  - extern __shared__ T name[];     -> T* const name = the block's dynamic shared memory
//  - __global__ / __launch_bounds__(...) removed; extern "C" __global__ functions collected as kernels.
RewriteResult rewrite_source(const std::string& preprocessed, const std::string& user_dir);

// The module table, argument unpackers and runtime slots appended to the rewritten text.
std::string module_appendix(const std::vector<KernelEntry>& kernels);
}   // namespace emu
