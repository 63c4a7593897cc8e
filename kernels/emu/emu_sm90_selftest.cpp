// Tests of the sm_90 twins (twins_sm90.h) through the exported API: tiny kernels built on the real wrappers of
// kernels/tma_wgmma_sm90.cuh, inputs laid out here by hand from the PTX ISA's tables, results checked element by
// element. Usage: emu_sm90_selftest KERNELS_DIR [MODE]; MODE (each leaves the context faulted, so one per run):
//   (none)    wgmma fragments and descriptors (no swizzle, 128B swizzle K-major, 128B swizzle MN-major with register
//             A), wgmma asynchrony (NaN before the wait), TMA with swizzle and out-of-bounds fill, mbarrier
//             phases between a producer and a consumer warp, the reported compute capability
//   deadlock  a wait on an mbarrier nobody arrives at        nofence  mma_async without wgmma.fence
//   badnreg   setmaxnreg with a count that is not a multiple of 8   capability-only  prints the reported capability
// Prints one line per check and exits with the number of failures.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "selftest_api.h"

static int failures = 0;
static void expect(const char* what, bool ok, const std::string& detail = "")
{
    if (ok) std::printf("ok    %s\n", what);
    else { std::printf("FAIL  %s %s\n", what, detail.c_str()); failures++; }
}

static const char* kSource = R"(
#include "tma_wgmma_sm90.cuh"

// copies `bytes` of a prepared shared-memory image into dynamic shared memory (offset 0 is 1024-aligned here)
static __device__ void load_image(unsigned char* smem, const unsigned char* img, int bytes)
{
    for (int i = threadIdx.x; i < bytes; i += blockDim.x) smem[i] = img[i];
    __syncthreads();
}

// D[64 x 64] = A * B through two k16 steps (desc step advances each descriptor's start address)
extern "C" __global__ void ss64(const unsigned char* img, float* out, unsigned long long da, unsigned long long db,
                                unsigned a_step, unsigned b_step)
{
    extern __shared__ unsigned char smem[];
    load_image(smem, img, 32768);
    float d[32];
    wgmma_fence();
    wgmma_ss_m64n64<0>(d, da, db);
    wgmma_ss_m64n64<1>(d, da + (a_step >> 4), db + (b_step >> 4));
    wgmma_commit();
    wgmma_wait<0>();
    for (int i = 0; i < 32; i++) out[threadIdx.x * 32 + i] = d[i];
}

// D[64 x 64] = A (registers: a[row][k] bf16 from global, placed by the ISA's A fragment table) * B (shared)
extern "C" __global__ void rs64(const unsigned char* img, const unsigned short* a, float* out, unsigned long long db)
{
    extern __shared__ unsigned char smem[];
    load_image(smem, img, 32768);
    const int w = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
    const int r0 = 16 * w + g, r1 = r0 + 8;
    unsigned ar[4];
    ar[0] = a[r0 * 16 + 2 * t] | ((unsigned)a[r0 * 16 + 2 * t + 1] << 16);
    ar[1] = a[r1 * 16 + 2 * t] | ((unsigned)a[r1 * 16 + 2 * t + 1] << 16);
    ar[2] = a[r0 * 16 + 2 * t + 8] | ((unsigned)a[r0 * 16 + 2 * t + 9] << 16);
    ar[3] = a[r1 * 16 + 2 * t + 8] | ((unsigned)a[r1 * 16 + 2 * t + 9] << 16);
    float d[32];
    for (int i = 0; i < 32; i++) d[i] = 1.0f;   // accumulated onto: D = 1 + A * B
    wgmma_fence();
    wgmma_rs_m64n64(d, ar, db);
    wgmma_commit();
    wgmma_wait<0>();
    for (int i = 0; i < 32; i++) out[threadIdx.x * 32 + i] = d[i];
}

// reads the accumulator before the wait (undefined: NaN here), then after it
extern "C" __global__ void early_read(const unsigned char* img, float* out, unsigned long long da, unsigned long long db)
{
    extern __shared__ unsigned char smem[];
    load_image(smem, img, 32768);
    float d[32];
    for (int i = 0; i < 32; i++) d[i] = 0.0f;
    wgmma_fence();
    wgmma_ss_m64n64<1>(d, da, db);
    wgmma_commit();
    out[threadIdx.x] = d[0];
    wgmma_wait<0>();
    out[128 + threadIdx.x] = d[0];
}

extern "C" __global__ void no_fence(float* out, unsigned long long da, unsigned long long db)
{
    float d[32];
    for (int i = 0; i < 32; i++) d[i] = 0.0f;
    wgmma_ss_m64n64<1>(d, da, db);
    wgmma_commit();
    wgmma_wait<0>();
    out[threadIdx.x] = d[0];
}

// one TMA box into shared memory at offset 1024, completion observed through the mbarrier at offset 0
extern "C" __global__ void tma2d(const __grid_constant__ CUtensorMap map, unsigned char* out, int c0, int c1, int bytes)
{
    extern __shared__ unsigned char smem[];
    const unsigned base = smem_u32(smem);
    for (int i = threadIdx.x; i < bytes; i += blockDim.x) smem[1024 + i] = 0xAB;   // shows what the copy leaves untouched
    if (threadIdx.x == 0) { mbar_init(base, 1); fence_proxy_async(); }
    __syncthreads();
    if (threadIdx.x == 0)
    {
        mbar_arrive_expect_tx(base, bytes);
        asm volatile("cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];"
                     :: "r"(base + 1024), "l"((unsigned long long)&map), "r"(c0), "r"(c1), "r"(base) : "memory");
    }
    mbar_wait(base, 0);
    for (int i = threadIdx.x; i < bytes; i += blockDim.x) out[i] = smem[1024 + i];
}

// warp 0 (lane 0) produces 3 values through a full/empty mbarrier pair; warp 1 consumes them, spinning meanwhile
extern "C" __global__ void pingpong(int* out)
{
    extern __shared__ unsigned char smem[];
    const unsigned full = smem_u32(smem), empty = full + 8;
    int* slot = reinterpret_cast<int*>(smem + 16);
    if (threadIdx.x == 0) { mbar_init(full, 1); mbar_init(empty, 32); }
    __syncthreads();
    for (int i = 0; i < 3; i++)
    {
        const unsigned phase = i & 1;
        if (threadIdx.x == 0)
        {
            mbar_wait(empty, phase ^ 1u);
            *slot = 100 + i;
            mbar_arrive(full);
        }
        else if (threadIdx.x >= 32)
        {
            mbar_wait(full, phase);
            out[i * 32 + threadIdx.x - 32] = *slot;
            mbar_arrive(empty);
        }
    }
}

extern "C" __global__ void deadlock(int* out)
{
    extern __shared__ unsigned char smem[];
    const unsigned bar = smem_u32(smem);
    if (threadIdx.x == 0) mbar_init(bar, 1);
    __syncthreads();
    mbar_wait(bar, 0);   // nobody arrives
    out[threadIdx.x] = 1;
}

extern "C" __global__ void bad_nreg(int* out)
{
    setmaxnreg_inc<100>();
    out[threadIdx.x] = 1;
}
extern "C" __global__ void good_nreg(int* out)
{
    if (threadIdx.x < 128) setmaxnreg_dec<24>(); else setmaxnreg_inc<240>();
    out[threadIdx.x] = 7;
}
)";

// bf16 bits of a small integer (exact)
static unsigned short bf(float f)
{
    unsigned u;
    std::memcpy(&u, &f, 4);
    return (unsigned short)(u >> 16);
}

static unsigned long long desc(unsigned addr, unsigned lbo, unsigned sbo, unsigned mode)
{
    return (unsigned long long)(addr >> 4) | ((unsigned long long)(lbo >> 4) << 16) | ((unsigned long long)(sbo >> 4) << 32) | ((unsigned long long)mode << 62);
}

static void put(std::vector<unsigned char>& img, size_t at, float v)
{
    const unsigned short h = bf(v);
    std::memcpy(&img[at], &h, 2);
}

// The m64nNk16 accumulator fragment: element i of thread tid holds D[row][col] with (PTX ISA, wgmma D layout)
static int frag_row(int tid, int i) { return 16 * (tid / 32) + (tid % 32) / 4 + 8 * ((i >> 1) & 1); }
static int frag_col(int tid, int i) { return 8 * (i >> 2) + 2 * (tid % 4) + (i & 1); }

static float A_of(int r, int k) { return (float)((r * 3 + k) % 7 - 3); }
static float B_of(int n, int k) { return (float)((n * 5 + 2 * k) % 5 - 2); }

struct Env
{
    void* mod = nullptr;
    void* fn(const char* name)
    {
        void* f = nullptr;
        if (cuModuleGetFunction(&f, mod, name) != 0) { std::printf("FAIL  no kernel %s\n", name); std::exit(1); }
        return f;
    }
};

static unsigned long long dev_alloc(size_t bytes)
{
    unsigned long long p = 0;
    cuMemAlloc_v2(&p, bytes);
    return p;
}

// Compares the 128 x 32 fragments of a 64x64 result with want(row, col).
template <class F> static void check_fragments(const char* what, const std::vector<float>& out, F want)
{
    int bad = 0;
    std::string first;
    for (int tid = 0; tid < 128; tid++)
        for (int i = 0; i < 32; i++)
        {
            const float w = want(frag_row(tid, i), frag_col(tid, i)), got = out[tid * 32 + i];
            if (got != w && bad++ == 0)
            {
                char b[160];
                std::snprintf(b, sizeof b, "(thread %d element %d = D[%d][%d]: got %g want %g)", tid, i, frag_row(tid, i), frag_col(tid, i), got, w);
                first = b;
            }
        }
    expect(what, bad == 0, first);
}

static std::vector<float> run_ss(Env& env, const std::vector<unsigned char>& img, unsigned long long da, unsigned long long db, unsigned a_step, unsigned b_step)
{
    const unsigned long long dimg = dev_alloc(32768), dout = dev_alloc(128 * 32 * 4);
    cuMemcpyHtoDAsync_v2(dimg, img.data(), 32768, nullptr);
    void* args[] = { (void*)&dimg, (void*)&dout, &da, &db, &a_step, &b_step };
    expect("launch ss64", cuLaunchKernel(env.fn("ss64"), 1, 1, 1, 128, 1, 1, 32768, nullptr, args, nullptr) == 0);
    std::vector<float> out(128 * 32);
    cuMemcpyDtoHAsync_v2(out.data(), dout, out.size() * 4, nullptr);
    return out;
}

static void wgmma_checks(Env& env)
{
    // (1) no swizzle, both K-major: core matrices of 8 rows x 16 bytes (row r of a core at 16 r bytes); A's two
    // K halves LBO = 128 bytes apart, 8-row groups SBO = 256 bytes apart (A at 0); B likewise at 16384.
    // k-step 2 (K 16..31) sits 2048 bytes on in A (8 groups x 256), 2048 in B.
    std::vector<unsigned char> img(32768, 0);
    for (int step = 0; step < 2; step++)
        for (int r = 0; r < 64; r++)
            for (int k = 0; k < 16; k++)
            {
                put(img, step * 2048 + (r / 8) * 256 + (k / 8) * 128 + (r % 8) * 16 + (k % 8) * 2, A_of(r, 16 * step + k));
                put(img, 16384 + step * 2048 + (r / 8) * 256 + (k / 8) * 128 + (r % 8) * 16 + (k % 8) * 2, B_of(r, 16 * step + k));
            }
    auto full = [](int r, int c) { float s = 0; for (int k = 0; k < 32; k++) s += A_of(r, k) * B_of(c, k); return s; };
    check_fragments("wgmma m64n64k16 x2, K-major, no swizzle: D fragments", run_ss(env, img, desc(0, 128, 256, 0), desc(16384, 128, 256, 0), 2048, 2048), full);

    // (2) 128-byte swizzle, K-major: a 64 x 64 tile of 128-byte rows, 16-byte chunk c of row r stored at chunk
    // c ^ (r % 8); the second k-step starts 32 bytes into the row (the address bits are swizzled, not the start).
    std::fill(img.begin(), img.end(), 0);
    for (int r = 0; r < 64; r++)
        for (int k = 0; k < 64; k++)
        {
            const int chunk = (k * 2) / 16, within = (k * 2) % 16;
            put(img, r * 128 + ((chunk ^ (r % 8)) * 16) + within, A_of(r, k));
            put(img, 16384 + r * 128 + ((chunk ^ (r % 8)) * 16) + within, B_of(r, k));
        }
    check_fragments("wgmma m64n64k16 x2, K-major, 128B swizzle (start + 32 bytes): D fragments",
                    run_ss(env, img, desc(0, 16, 1024, 1), desc(16384, 16, 1024, 1), 32, 32), full);
    // the same tile read without the swizzle bits in the descriptor is wrong: the test sees the layout
    auto wrong = run_ss(env, img, desc(0, 16, 1024, 0), desc(16384, 16, 1024, 0), 32, 32);
    bool differs = false;
    for (int tid = 0; tid < 128; tid++) for (int i = 0; i < 32; i++) differs |= wrong[tid * 32 + i] != full(frag_row(tid, i), frag_col(tid, i));
    expect("the swizzled tile read as unswizzled gives other values", differs);

    // (3) register A, MN-major B with the 128-byte swizzle: B[k][n] (k = 0..15 keys, n = 0..63) as V is stored,
    // key k in row k (128 bytes), column n at byte 2n, 16-byte chunks swizzled by k % 8; 8-key groups SBO = 1024.
    std::fill(img.begin(), img.end(), 0);
    for (int k = 0; k < 16; k++)
        for (int n = 0; n < 64; n++)
        {
            const int chunk = (n * 2) / 16, within = (n * 2) % 16;
            put(img, k * 128 + ((chunk ^ (k % 8)) * 16) + within, B_of(n, k));
        }
    std::vector<unsigned short> a(64 * 16);
    for (int r = 0; r < 64; r++) for (int k = 0; k < 16; k++) a[r * 16 + k] = bf(A_of(r, k));
    const unsigned long long dimg = dev_alloc(32768), da = dev_alloc(a.size() * 2), dout = dev_alloc(128 * 32 * 4);
    cuMemcpyHtoDAsync_v2(dimg, img.data(), 32768, nullptr);
    cuMemcpyHtoDAsync_v2(da, a.data(), a.size() * 2, nullptr);
    unsigned long long db = desc(0, 8192, 1024, 1);
    void* args[] = { (void*)&dimg, (void*)&da, (void*)&dout, &db };
    expect("launch rs64", cuLaunchKernel(env.fn("rs64"), 1, 1, 1, 128, 1, 1, 32768, nullptr, args, nullptr) == 0);
    std::vector<float> out(128 * 32);
    cuMemcpyDtoHAsync_v2(out.data(), dout, out.size() * 4, nullptr);
    check_fragments("wgmma m64n64k16 register A, MN-major B, 128B swizzle: D = 1 + A B", out, [](int r, int c) {
        float s = 1; for (int k = 0; k < 16; k++) s += A_of(r, k) * B_of(c, k); return s; });

    // (4) asynchrony: the accumulator is undefined (NaN) until wgmma.wait_group retires the group
    {
        std::vector<unsigned char> im(32768, 0);
        for (int r = 0; r < 64; r++)
            for (int k = 0; k < 16; k++)
            {
                put(im, (r / 8) * 256 + (k / 8) * 128 + (r % 8) * 16 + (k % 8) * 2, A_of(r, k));
                put(im, 16384 + (r / 8) * 256 + (k / 8) * 128 + (r % 8) * 16 + (k % 8) * 2, B_of(r, k));
            }
        const unsigned long long di = dev_alloc(32768), dout2 = dev_alloc(256 * 4);
        cuMemcpyHtoDAsync_v2(di, im.data(), 32768, nullptr);
        unsigned long long d_a = desc(0, 128, 256, 0), d_b = desc(16384, 128, 256, 0);
        void* args2[] = { (void*)&di, (void*)&dout2, &d_a, &d_b };
        expect("launch early_read", cuLaunchKernel(env.fn("early_read"), 1, 1, 1, 128, 1, 1, 32768, nullptr, args2, nullptr) == 0);
        std::vector<float> o(256);
        cuMemcpyDtoHAsync_v2(o.data(), dout2, 1024, nullptr);
        float want = 0;
        for (int k = 0; k < 16; k++) want += A_of(0, k) * B_of(0, k);
        expect("an accumulator read before wgmma.wait_group is NaN", std::isnan(o[0]) && std::isnan(o[127]));
        expect("after the wait it holds the product", o[128] == want);
    }
}

static void tma_checks(Env& env)
{
    // a 100 x 72 bf16 tensor (row stride 144 bytes), value = row * 72 + col (exact in bf16 below 256; use small ints)
    const int rows = 100, cols = 72;
    std::vector<unsigned short> t(rows * cols);
    for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[r * cols + c] = bf((float)((r * 7 + c) % 200 + 1));
    const unsigned long long dt = dev_alloc(t.size() * 2);
    cuMemcpyHtoDAsync_v2(dt, t.data(), t.size() * 2, nullptr);
    alignas(64) unsigned char map[128];
    const unsigned long long dims[2] = { (unsigned long long)cols, (unsigned long long)rows }, strides[1] = { cols * 2ull };
    const unsigned box[2] = { 64, 16 }, es[2] = { 1, 1 };
    expect("cuTensorMapEncodeTiled (bf16, 128B swizzle)", cuTensorMapEncodeTiled(map, 9, 2, (void*)dt, dims, strides, box, es, 0, 3, 0, 0) == 0);
    const unsigned bad_box[2] = { 72, 16 };
    unsigned char junk[192];
    unsigned char* junk64 = junk + (64 - (reinterpret_cast<size_t>(junk) % 64)) % 64;
    expect("a 144-byte inner box with the 128B swizzle is refused",
           cuTensorMapEncodeTiled(junk64, 9, 2, (void*)dt, dims, strides, bad_box, es, 0, 3, 0, 0) == 1);
    const unsigned long long bad_strides[1] = { 100 };
    expect("a stride that is not a multiple of 16 is refused", cuTensorMapEncodeTiled(junk64, 9, 2, (void*)dt, dims, bad_strides, box, es, 0, 3, 0, 0) == 1);
    // the box at (col 64, row 90): columns 64..71 and rows 90..99 exist, the rest is zero fill
    int c0 = 64, c1 = 90, bytes = 64 * 16 * 2;
    const unsigned long long dout = dev_alloc(bytes);
    void* args[] = { map, (void*)&dout, &c0, &c1, &bytes };
    expect("launch tma2d", cuLaunchKernel(env.fn("tma2d"), 1, 1, 1, 128, 1, 1, 4096, nullptr, args, nullptr) == 0);
    std::vector<unsigned char> out(bytes);
    cuMemcpyDtoHAsync_v2(out.data(), dout, bytes, nullptr);
    int bad = 0;
    std::string first;
    for (int r = 0; r < 16; r++)
        for (int c = 0; c < 64; c++)
        {
            // box element (r, c) at byte r * 128 + 2c before the swizzle; its 16-byte chunk moves to chunk ^ (r % 8)
            const int at = r * 128 + ((((2 * c) / 16) ^ (r % 8)) * 16) + (2 * c) % 16;
            unsigned short got;
            std::memcpy(&got, &out[at], 2);
            const int gr = c1 + r, gc = c0 + c;
            const unsigned short want = (gr < rows && gc < cols) ? t[gr * cols + gc] : 0;
            if (got != want && bad++ == 0)
            {
                char b[128];
                std::snprintf(b, sizeof b, "(box (%d,%d) at byte %d: got 0x%04x want 0x%04x)", r, c, at, got, want);
                first = b;
            }
        }
    expect("TMA 2d box: 128B swizzle, zero fill past both edges, mbarrier completes on the box's bytes", bad == 0, first);
}

static void mbarrier_checks(Env& env)
{
    const unsigned long long dout = dev_alloc(3 * 32 * 4);
    void* args[] = { (void*)&dout };
    expect("launch pingpong (a producer and a spinning consumer warp)", cuLaunchKernel(env.fn("pingpong"), 1, 1, 1, 64, 1, 1, 64, nullptr, args, nullptr) == 0);
    std::vector<int> out(96);
    cuMemcpyDtoHAsync_v2(out.data(), dout, out.size() * 4, nullptr);
    bool ok = true;
    for (int i = 0; i < 3; i++) for (int l = 0; l < 32; l++) ok &= out[i * 32 + l] == 100 + i;
    expect("mbarrier phases: every consumer sees values 100, 101, 102 in turn", ok);
    const unsigned long long dn = dev_alloc(256 * 4);
    void* a2[] = { (void*)&dn };
    expect("setmaxnreg dec 24 / inc 240 per warpgroup", cuLaunchKernel(env.fn("good_nreg"), 1, 1, 1, 256, 1, 1, 0, nullptr, a2, nullptr) == 0);
}

int main(int argc, char** argv)
{
    if (argc < 2) { std::printf("usage: emu_sm90_selftest KERNELS_DIR [deadlock|nofence|badnreg]\n"); return 2; }
    const std::string mode = argc > 2 ? argv[2] : "";
    void* ctx = nullptr;
    int dev = 0;
    if (cuInit(0) != 0) { std::printf("FAIL  cuInit\n"); return 1; }
    cuDeviceGet(&dev, 0);
    cuDevicePrimaryCtxRetain(&ctx, dev);
    cuCtxSetCurrent(ctx);
    int major = 0, minor = 0;
    cuDeviceGetAttribute(&major, 75, dev);
    cuDeviceGetAttribute(&minor, 76, dev);
    std::printf("capability %d.%d\n", major, minor);
    if (mode == "capability-only") return 0;

    // the kernels' headers handed over as NVRTC in-memory headers, as the C# compiler does
    std::vector<std::string> texts;
    const char* names[] = { "common.cuh", "tma_wgmma_sm90.cuh" };
    for (const char* n : names)
    {
        FILE* f = std::fopen((std::string(argv[1]) + "/" + n).c_str(), "rb");
        if (!f) { std::printf("FAIL  cannot read %s/%s\n", argv[1], n); return 1; }
        std::string t;
        char buf[4096];
        for (size_t k; (k = std::fread(buf, 1, sizeof buf, f)) > 0;) t.append(buf, k);
        std::fclose(f);
        texts.push_back(t);
    }
    const char* hdrs[] = { texts[0].c_str(), texts[1].c_str() };
    void* prog;
    nvrtcCreateProgram(&prog, kSource, "sm90_selftest.cu", 2, hdrs, names);
    const char* opts[] = { "-std=c++17", "-arch=sm_90a" };
    if (nvrtcCompileProgram(prog, 2, opts) != 0)
    {
        size_t n;
        nvrtcGetProgramLogSize(prog, &n);
        std::vector<char> log(n + 1);
        nvrtcGetProgramLog(prog, log.data());
        std::printf("FAIL  compile\n%s\n", log.data());
        return 1;
    }
    size_t size;
    nvrtcGetCUBINSize(prog, &size);
    std::vector<char> image(size);
    nvrtcGetCUBIN(prog, image.data());
    Env env;
    if (cuModuleLoadDataEx(&env.mod, image.data(), 0, nullptr, nullptr) != 0) { std::printf("FAIL  module load\n"); return 1; }

    if (mode == "deadlock" || mode == "nofence" || mode == "badnreg")
    {
        const unsigned long long dout = dev_alloc(1024 * 4);
        unsigned long long da = desc(0, 128, 256, 0), db = da;
        void* a1[] = { (void*)&dout };
        void* a3[] = { (void*)&dout, &da, &db };
        const char* fn = mode == "deadlock" ? "deadlock" : mode == "nofence" ? "no_fence" : "bad_nreg";
        const int r = cuLaunchKernel(env.fn(fn), 1, 1, 1, 128, 1, 1, mode == "deadlock" ? 64 : 0, nullptr, mode == "nofence" ? a3 : a1, nullptr);
        std::printf("launch %s -> %d\n", fn, r);   // the runtime printed the error naming kernel, block and thread
        return r == 719 ? 0 : 1;
    }
    wgmma_checks(env);
    tma_checks(env);
    mbarrier_checks(env);
    if (failures == 0) std::printf("all checks passed\n");
    return failures;
}
