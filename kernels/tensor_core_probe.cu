// Probes of single tensor-core instructions for the fragment checks (`mantis kernels check`, group tensor_cores):
// each kernel runs one instruction on register or shared-memory contents the host chose and writes every lane's
// result registers out, so the host can compare them with the PTX ISA's fragment tables. No layout knowledge
// here: on a GPU the check tests the hardware against the tables, on the emulated device the twins.
// One block of 32 threads each.
#include "mma_sm80.cuh"

// a: [32][4] words, b: [32][2], c, d: [32][4] floats (lane-major).
extern "C" __global__ void probe_mma_m16n8k16(const unsigned int* a, const unsigned int* b, const float* c, float* d)
{
    const int l = threadIdx.x;
    float acc[4] = { c[4 * l], c[4 * l + 1], c[4 * l + 2], c[4 * l + 3] };
    const unsigned int ar[4] = { a[4 * l], a[4 * l + 1], a[4 * l + 2], a[4 * l + 3] };
    mma_16816(acc, ar, b[2 * l], b[2 * l + 1]);
    for (int i = 0; i < 4; i++) d[4 * l + i] = acc[i];
}

// a: [32][2] words, b: [32][1], c, d: [32][4].
extern "C" __global__ void probe_mma_m16n8k8(const unsigned int* a, const unsigned int* b, const float* c, float* d)
{
    const int l = threadIdx.x;
    float acc[4] = { c[4 * l], c[4 * l + 1], c[4 * l + 2], c[4 * l + 3] };
    mma_1688(acc, a[2 * l], a[2 * l + 1], b[l]);
    for (int i = 0; i < 4; i++) d[4 * l + i] = acc[i];
}

// m: four 8 x 8 bf16 matrices, row-major, one after another. Lane l points at row l % 8 of matrix l / 8 (x2: lanes
// 0-15 count). out: [4 forms: x4, x4.trans, x2, x2.trans][32 lanes][4 words] (x2 forms fill words 0-1).
extern "C" __global__ void probe_ldmatrix(const bf16* m, unsigned int* out)
{
    __shared__ __align__(16) bf16 s[4 * 64];
    const int l = threadIdx.x;
    for (int i = l; i < 4 * 64; i += 32) s[i] = m[i];
    __syncthreads();
    const unsigned long long a = smem_addr(s + (l / 8) * 64 + (l % 8) * 8);
    unsigned int* o = out + 4 * l;
    ldsm_x4(o[0], o[1], o[2], o[3], a);
    ldsm_x4_t(o[128], o[129], o[130], o[131], a);
    ldsm_x2(o[256], o[257], a);
    ldsm_x2_t(o[384], o[385], a);
}

// cp.async: threads 0-7 copy 16-byte chunk t of src into buffer 0 reading only its first 2t bytes (the rest must be
// zero-filled), commit, then chunk t into buffer 1 in full, commit. wait_group 1 makes buffer 0 complete, wait_group
// 0 buffer 1; each is read after its wait and a barrier. out: [2][64] bf16.
extern "C" __global__ void probe_cp_async(const bf16* src, bf16* out)
{
    __shared__ __align__(16) bf16 s[2 * 64];
    const int t = threadIdx.x;
    if (t < 8)
    {
        cp_async16(s + 8 * t, src + 8 * t, 2u * t);
        cp_async_commit();
        cp_async16(s + 64 + 8 * t, src + 8 * t, 16u);
        cp_async_commit();
        cp_async_wait<1>();
    }
    __syncthreads();
    for (int i = t; i < 64; i += 32) out[i] = s[i];
    if (t < 8) cp_async_wait<0>();
    __syncthreads();
    for (int i = t; i < 64; i += 32) out[64 + i] = s[64 + i];
}
