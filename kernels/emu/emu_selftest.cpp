// Contract test of libmantis_emu.so through its exported C API (what the P/Invoke layer calls): error codes and
// limits as on an H100, memory poisoning, warp collectives, shared memory. Built by the Makefile as
// build/emu/emu_selftest and run by tests/.../Emulator/EmulatorContractTests; prints one line per check and exits
// with the number of failures.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "selftest_api.h"

static int failures = 0;
static void expect(const char* what, long got, long want)
{
    if (got == want) std::printf("ok    %s\n", what);
    else { std::printf("FAIL  %s: got %ld, want %ld\n", what, got, want); failures++; }
}

static const char* kSource = R"(
extern "C" __global__ void __launch_bounds__(128) bounded(float* p) { p[threadIdx.x] = 1.0f; }
extern "C" __global__ void reverse_dyn(float* p)
{
    extern __shared__ float d[];
    d[threadIdx.x] = (float)threadIdx.x;
    __syncthreads();
    p[threadIdx.x] = d[blockDim.x - 1 - threadIdx.x];
}
extern "C" __global__ void read_static(float* p)
{
    __shared__ float s[32];
    p[threadIdx.x] = s[threadIdx.x];   // never written: must read the NaN poison, not zeros
}
extern "C" __global__ void collectives(unsigned* out)
{
    const unsigned t = threadIdx.x;
    out[t] = __ballot_sync(0xffffffffu, t & 1);
    out[32 + t] = __shfl_down_sync(0xffffffffu, t, 3);
    out[64 + t] = __match_any_sync(0xffffffffu, t / 8);
    out[96 + t] = __shfl_xor_sync(0xffffffffu, t, t < 16 ? 5 : 8, 8);
}
extern "C" __global__ void reads_left_neighbour_without_barrier(float* p)
{
    __shared__ float s[64];
    s[threadIdx.x] = (float)threadIdx.x;
    p[threadIdx.x] = threadIdx.x > 0 ? s[threadIdx.x - 1] : 0.0f;   // missing __syncthreads
}
extern "C" __global__ void too_much_static(float* p) { __shared__ float s[13000]; s[threadIdx.x] = 1.0f; p[0] = s[0]; }
)";

// The staging-buffer contract a page-locked upload ring relies on (issue 12 item 4; Backends/Cuda/PinnedStagingRing):
// the host may rewrite a page-locked source only after an event recorded behind the copy that reads it completed.
// `emu_selftest pinned-reuse`, in its own process because the fault it ends with is sticky: first 100 rounds done
// the right way (no error, the last round's bytes arrive), then a rewrite while the copy is in flight, which the
// emulator must report at the copy's ordering point.
static int pinned_reuse()
{
    selftest_primary_context();
    void *stream = nullptr, *done = nullptr, *pinned = nullptr;
    unsigned long long d = 0, d2 = 0;
    expect("cuStreamCreate", cuStreamCreate(&stream, 1), 0);
    expect("cuEventCreate", cuEventCreate(&done, 2), 0);
    expect("cuMemHostAlloc", cuMemHostAlloc(&pinned, 4096, 0), 0);
    expect("cuMemAlloc", cuMemAlloc_v2(&d, 4096), 0);
    int errors = 0;
    for (unsigned round = 0; round < 100; round++)
    {
        if (round > 0) errors += cuEventSynchronize(done) != 0;   // the previous copy has read the buffer
        for (int i = 0; i < 1024; i++) ((unsigned*)pinned)[i] = round * 1024 + i;
        errors += cuMemcpyHtoDAsync_v2(d, pinned, 4096, stream) != 0;
        errors += cuEventRecord(done, stream) != 0;
    }
    expect("100 rewrites each after the previous copy's event: no error", errors + cuStreamSynchronize(stream), 0);
    std::vector<unsigned> back(1024);
    cuMemcpyDtoHAsync_v2(back.data(), d, 4096, stream);
    expect("the last round's bytes arrived", back[0] == 99 * 1024 && back[1023] == 99 * 1024 + 1023, 1);
    std::memset(pinned, 1, 4096);
    expect("a copy from page-locked memory is queued", cuMemcpyHtoDAsync_v2(d, pinned, 4096, stream), 0);
    ((unsigned char*)pinned)[100] = 2;   // the rewrite in flight: no event waited for
    expect("the rewrite is reported at the copy's ordering point -> LAUNCH_FAILED", cuStreamSynchronize(stream), 719);
    expect("and it is sticky, as a device fault", cuMemAlloc_v2(&d2, 4), 719);
    std::printf(failures == 0 ? "all checks passed\n" : "%d checks FAILED\n", failures);
    return failures;
}

int main(int argc, char** argv)
{
    if (argc > 1 && std::strcmp(argv[1], "pinned-reuse") == 0) return pinned_reuse();
    void* ctx = nullptr;
    int dev = 0;
    expect("cuMemAlloc before cuInit -> NOT_INITIALIZED", cuMemAlloc_v2(nullptr, 4), 3);
    expect("cuInit", cuInit(0), 0);
    cuDeviceGet(&dev, 0);
    cuDevicePrimaryCtxRetain(&ctx, dev);
    unsigned long long p = 0;
    expect("cuMemAlloc without a current context -> INVALID_CONTEXT", cuMemAlloc_v2(&p, 4), 201);
    cuCtxSetCurrent(ctx);
    {
        int r = -1;
        std::thread t([&] { unsigned long long q; r = cuMemAlloc_v2(&q, 4); });
        t.join();
        expect("another thread has no current context", r, 201);
    }
    expect("cuMemAlloc", cuMemAlloc_v2(&p, 1000), 0);
    std::vector<unsigned> host(250);
    cuMemcpyDtoHAsync_v2(host.data(), p, 1000, nullptr);
    expect("fresh memory is NaN-poisoned", host[0] == 0x7fff7fffu && host[249] == 0x7fff7fffu, 1);
    expect("copy past the end -> INVALID_VALUE", cuMemcpyHtoDAsync_v2(p + 8, host.data(), 1000, nullptr), 1);
    expect("memset past the end -> INVALID_VALUE", cuMemsetD32Async(p, 0, 251, nullptr), 1);
    {
        void* pinned = nullptr;
        expect("cuMemHostAlloc", cuMemHostAlloc(&pinned, 1000, 0), 0);
        expect("pinned memory is page aligned", ((unsigned long long)pinned & 4095) == 0, 1);
        std::memset(pinned, 0, 1000);
        ((unsigned*)pinned)[7] = 0x3f800000u;
        expect("async copy from pinned memory", cuMemcpyHtoDAsync_v2(p, pinned, 1000, nullptr), 0);
        cuMemcpyDtoHAsync_v2(host.data(), p, 1000, nullptr);
        expect("the copy arrived", host[7] == 0x3f800000u && host[0] == 0, 1);
        expect("cuMemFreeHost", cuMemFreeHost(pinned), 0);
        expect("cuMemFreeHost twice -> INVALID_VALUE", cuMemFreeHost(pinned), 1);
        expect("cuMemFreeHost of other memory -> INVALID_VALUE", cuMemFreeHost(host.data()), 1);
    }
    const char* name = nullptr;
    cuGetErrorName(700, &name);
    expect("cuGetErrorName(700)", std::string(name ? name : "") == "CUDA_ERROR_ILLEGAL_ADDRESS", 1);
    void *e1, *e2;
    cuEventCreate(&e1, 2);
    cuEventCreate(&e2, 0);
    cuEventRecord(e1, nullptr);
    cuEventRecord(e2, nullptr);
    float ms;
    expect("elapsed time of a DISABLE_TIMING event -> INVALID_HANDLE", cuEventElapsedTime(&ms, e1, e2), 400);

    void* prog;
    nvrtcCreateProgram(&prog, kSource, "selftest.cu", 0, nullptr, nullptr);
    const char* opts[] = { "-std=c++17", "-arch=sm_90a" };
    int rc = nvrtcCompileProgram(prog, 2, opts);
    if (rc != 0)
    {
        size_t n;
        nvrtcGetProgramLogSize(prog, &n);
        std::vector<char> log(n);
        nvrtcGetProgramLog(prog, log.data());
        std::printf("%s\n", log.data());
    }
    expect("nvrtcCompileProgram", rc, 0);
    const char* bad[] = { "--no-such-option" };
    void* prog2;
    nvrtcCreateProgram(&prog2, kSource, "selftest.cu", 0, nullptr, nullptr);
    expect("unknown NVRTC option -> NVRTC_ERROR_INVALID_OPTION", nvrtcCompileProgram(prog2, 1, bad), 5);
    size_t size;
    nvrtcGetCUBINSize(prog, &size);
    std::vector<char> image(size);
    nvrtcGetCUBIN(prog, image.data());
    void* mod;
    expect("cuModuleLoadDataEx", cuModuleLoadDataEx(&mod, image.data(), 0, nullptr, nullptr), 0);
    expect("a real PTX text is refused -> INVALID_IMAGE", cuModuleLoadDataEx(&mod, "//\n.version 8.4\n", 0, nullptr, nullptr) == 200, 1);
    cuModuleLoadDataEx(&mod, image.data(), 0, nullptr, nullptr);
    void *bounded, *rev, *rstat, *coll, *big, *none, *racy;
    expect("cuModuleGetFunction(missing) -> NOT_FOUND", cuModuleGetFunction(&none, mod, "nope"), 500);
    cuModuleGetFunction(&bounded, mod, "bounded");
    cuModuleGetFunction(&rev, mod, "reverse_dyn");
    cuModuleGetFunction(&rstat, mod, "read_static");
    cuModuleGetFunction(&coll, mod, "collectives");
    cuModuleGetFunction(&big, mod, "too_much_static");
    cuModuleGetFunction(&racy, mod, "reads_left_neighbour_without_barrier");
    int maxThreads = 0;
    cuFuncGetAttribute(&maxThreads, 0, bounded);
    expect("__launch_bounds__ is the function's max threads", maxThreads, 128);

    unsigned long long buf;
    cuMemAlloc_v2(&buf, 4 * 1024 * 4);
    void* args[] = { &buf };
    expect("1025 threads per block -> INVALID_VALUE", cuLaunchKernel(rev, 1, 1, 1, 1025, 1, 1, 0, nullptr, args, nullptr), 1);
    expect("block z 65 -> INVALID_VALUE", cuLaunchKernel(rev, 1, 1, 1, 1, 1, 65, 0, nullptr, args, nullptr), 1);
    expect("grid y 65536 -> INVALID_VALUE", cuLaunchKernel(rev, 1, 65536, 1, 32, 1, 1, 0, nullptr, args, nullptr), 1);
    expect("more threads than __launch_bounds__ -> LAUNCH_OUT_OF_RESOURCES", cuLaunchKernel(bounded, 1, 1, 1, 256, 1, 1, 0, nullptr, args, nullptr), 701);
    expect("49 KB dynamic shared memory without opt-in -> INVALID_VALUE", cuLaunchKernel(rev, 1, 1, 1, 64, 1, 1, 49 * 1024, nullptr, args, nullptr), 1);
    expect("opt-in above 227 KB -> INVALID_VALUE", cuFuncSetAttribute(rev, 8, 228 * 1024), 1);
    expect("opt-in to 100 KB", cuFuncSetAttribute(rev, 8, 100 * 1024), 0);
    expect("launch with 100 KB dynamic shared memory", cuLaunchKernel(rev, 1, 1, 1, 256, 1, 1, 100 * 1024, nullptr, args, nullptr), 0);
    std::vector<float> f(256);
    cuMemcpyDtoHAsync_v2(f.data(), buf, 256 * 4, nullptr);
    expect("dynamic shared memory round trip", f[0] == 255.0f && f[255] == 0.0f, 1);
    expect("read_static", cuLaunchKernel(rstat, 1, 1, 1, 32, 1, 1, 0, nullptr, args, nullptr), 0);
    cuMemcpyDtoHAsync_v2(f.data(), buf, 32 * 4, nullptr);
    expect("unwritten __shared__ reads NaN (not zero)", f[0] != f[0] && f[31] != f[31], 1);
    expect("collectives", cuLaunchKernel(coll, 1, 1, 1, 32, 1, 1, 0, nullptr, args, nullptr), 0);
    std::vector<unsigned> u(128);
    cuMemcpyDtoHAsync_v2(u.data(), buf, 128 * 4, nullptr);
    expect("__ballot_sync", u[0], 0xaaaaaaaau);
    expect("__shfl_down_sync inside the warp", u[32 + 4], 7);
    expect("__shfl_down_sync past the last lane keeps its value", u[32 + 30], 30);
    expect("__match_any_sync", u[64 + 9], 0x0000ff00u);
    expect("__shfl_xor_sync width 8 inside its segment", u[96 + 10], 10 ^ 5);
    expect("__shfl_xor_sync width 8 into a later segment keeps its value", u[96 + 20], 20);
    expect("__shfl_xor_sync width 8 may read an earlier segment (CUDA's rule)", u[96 + 28], 20);
    {
        // the fiber order decides what a racy read sees: forward hides this bug, reverse shows it
        const char* seed = std::getenv("MANTIS_EMU_SEED");
        const long order = seed ? std::atol(seed) : 0;
        cuLaunchKernel(racy, 1, 1, 1, 64, 1, 1, 0, nullptr, args, nullptr);
        cuMemcpyDtoHAsync_v2(f.data(), buf, 64 * 4, nullptr);
        if (order == 0) expect("forward order: the racy read happens to see its neighbour's value", f[5] == 4.0f, 1);
        if (order == 1) expect("reverse order: the racy read sees the NaN poison", f[5] != f[5], 1);
    }
    expect("more than 48 KB static shared -> LAUNCH_OUT_OF_RESOURCES", cuLaunchKernel(big, 1, 1, 1, 32, 1, 1, 0, nullptr, args, nullptr), 701);
    expect("a resource error does not poison the context", cuLaunchKernel(rstat, 1, 1, 1, 32, 1, 1, 0, nullptr, args, nullptr), 0);
    unsigned long long freed;
    cuMemAlloc_v2(&freed, 64);
    cuMemFree_v2(freed);
    expect("double free -> INVALID_VALUE", cuMemFree_v2(freed), 1);
    void* fargs[] = { &freed };
    expect("a freed pointer as argument -> ILLEGAL_ADDRESS", cuLaunchKernel(rstat, 1, 1, 1, 32, 1, 1, 0, nullptr, fargs, nullptr), 700);
    expect("the fault is sticky, as on a device", cuMemAlloc_v2(&p, 4), 700);
    std::printf(failures == 0 ? "all checks passed\n" : "%d checks FAILED\n", failures);
    return failures;
}
