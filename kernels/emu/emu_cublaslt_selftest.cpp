// The emulated cuBLASLt's epilogues against results worked out by hand from cuBLASLt's documentation
// (cublasLtEpilogue_t, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE): BIAS added in fp32 before the one rounding to D,
// BGRADA / BGRADB as the k-sums of op(A) / op(B) written to the bias pointer, and CUBLAS_STATUS_NOT_SUPPORTED for
// what cuBLASLt does not take. Built by the Makefile as build/emu/emu_cublaslt_selftest and run by
// tests/.../Emulator/EmulatedCublasLtEpilogueTests; prints one line per check and exits with the number of failures.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

#include "selftest_api.h"

static int failures = 0;
static void expect(const char* what, double got, double want)
{
    if (got == want) std::printf("ok    %s\n", what);
    else { std::printf("FAIL  %s: got %.9g, want %.9g\n", what, got, want); failures++; }
}

enum { R32F = 0, R16BF = 14, COMPUTE_32F = 68, TRANSA = 3, TRANSB = 4, EPILOGUE = 7, BIAS_POINTER = 8, BIAS_DATA_TYPE = 26, BATCH_COUNT = 5 };
enum { DEFAULT = 1, BIAS = 4, RELU_BIAS = 6, GELU = 32, BGRADA = 256, BGRADB = 512 };

static unsigned short bf16(float f) { unsigned u; std::memcpy(&u, &f, 4); return (unsigned short)(u >> 16); }   // exact inputs only
static float from_bf16(unsigned short h) { unsigned u = (unsigned)h << 16; float f; std::memcpy(&f, &u, 4); return f; }

static unsigned long long upload_bf16(const std::vector<float>& v)
{
    unsigned long long p = 0;
    cuMemAlloc_v2(&p, v.size() * 2);
    std::vector<unsigned short> h(v.size());
    for (size_t i = 0; i < v.size(); i++) h[i] = bf16(v[i]);
    cuMemcpyHtoDAsync_v2(p, h.data(), h.size() * 2, nullptr);
    return p;
}
static unsigned long long upload_f32(const std::vector<float>& v)
{
    unsigned long long p = 0;
    cuMemAlloc_v2(&p, v.size() * 4);
    cuMemcpyHtoDAsync_v2(p, v.data(), v.size() * 4, nullptr);
    return p;
}
static std::vector<float> download(unsigned long long p, size_t n, int type)
{
    std::vector<float> out(n);
    if (type == R32F) { cuMemcpyDtoHAsync_v2(out.data(), p, n * 4, nullptr); return out; }
    std::vector<unsigned short> h(n);
    cuMemcpyDtoHAsync_v2(h.data(), p, n * 2, nullptr);
    for (size_t i = 0; i < n; i++) out[i] = from_bf16(h[i]);
    return out;
}

struct Gemm
{
    void* handle;
    int epilogue = DEFAULT, bias_type = -1, transa = 0, transb = 0, batch = 1;
    unsigned long long bias = 0;
    int ab_type = R16BF, d_type = R16BF;
    // column-major m x n = op(A) op(B), op(A) m x k, op(B) k x n, all packed; returns the heuristic's or the matmul's status
    int run(unsigned long long m, unsigned long long n, unsigned long long k, unsigned long long A, unsigned long long B, unsigned long long D, float beta = 0.0f)
    {
        void *desc, *la, *lb, *ld, *pref;
        cublasLtMatmulDescCreate(&desc, COMPUTE_32F, R32F);
        cublasLtMatmulDescSetAttribute(desc, TRANSA, &transa, 4);
        cublasLtMatmulDescSetAttribute(desc, TRANSB, &transb, 4);
        cublasLtMatmulDescSetAttribute(desc, EPILOGUE, &epilogue, 4);
        if (bias) cublasLtMatmulDescSetAttribute(desc, BIAS_POINTER, &bias, 8);
        if (bias_type != -1) cublasLtMatmulDescSetAttribute(desc, BIAS_DATA_TYPE, &bias_type, 4);
        cublasLtMatrixLayoutCreate(&la, ab_type, transa ? k : m, transa ? m : k, (long long)(transa ? k : m));
        cublasLtMatrixLayoutCreate(&lb, ab_type, transb ? n : k, transb ? k : n, (long long)(transb ? n : k));
        cublasLtMatrixLayoutCreate(&ld, d_type, m, n, (long long)m);
        if (batch > 1)
            for (void* l : { la, lb, ld }) cublasLtMatrixLayoutSetAttribute(l, BATCH_COUNT, &batch, 4);
        cublasLtMatmulPreferenceCreate(&pref);
        unsigned char result[96] = {};
        int found = 0;
        int r = cublasLtMatmulAlgoGetHeuristic(handle, desc, la, lb, ld, ld, pref, 1, result, &found);
        const float alpha = 1.0f;
        if (r == 0) r = cublasLtMatmul(handle, desc, &alpha, A, la, B, lb, &beta, D, ld, D, ld, result, 0, 0, nullptr);
        cublasLtMatmulPreferenceDestroy(pref);
        for (void* l : { la, lb, ld }) cublasLtMatrixLayoutDestroy(l);
        cublasLtMatmulDescDestroy(desc);
        return r;
    }
};

int main()
{
    selftest_primary_context();
    void* handle = nullptr;
    expect("cublasLtCreate", cublasLtCreate(&handle), 0);

    // A (2x2, column-major) = [[1, 2], [3, 4]], B (2x3) = [[1, 0, -1], [2, 1, 0.5]]; AB = [[5, 2, 0], [11, 4, -1]]
    auto A = upload_bf16({ 1, 3, 2, 4 });
    auto B = upload_bf16({ 1, 2, 0, 1, -1, 0.5f });
    {
        auto bias = upload_bf16({ 0.5f, -1 });
        unsigned long long D = 0;
        cuMemAlloc_v2(&D, 6 * 2);
        Gemm g{ handle };
        g.epilogue = BIAS; g.bias = bias;
        expect("BIAS bf16 runs", g.run(2, 3, 2, A, B, D), 0);
        auto d = download(D, 6, R16BF);
        // bias indexed by D's row, broadcast over columns: [[5.5, 2.5, 0.5], [10, 3, -2]]
        expect("BIAS D(0,0)", d[0], 5.5); expect("BIAS D(1,0)", d[1], 10); expect("BIAS D(0,1)", d[2], 2.5);
        expect("BIAS D(1,1)", d[3], 3); expect("BIAS D(0,2)", d[4], 0.5); expect("BIAS D(1,2)", d[5], -2);
        g.epilogue = RELU_BIAS;
        expect("RELU_BIAS runs", g.run(2, 3, 2, A, B, D), 0);
        expect("RELU_BIAS clamps after the bias: D(1,2) = max(-1 - 1, 0)", download(D, 6, R16BF)[5], 0);
    }
    {
        // the bias joins the fp32 accumulator before the one rounding: 1 + 2^-8 (a tie, to even: 1.0 if rounded first)
        // plus the bias 2^-8 is 1 + 2^-7, exactly a bf16; rounding first then adding would give 1.0 again
        auto a = upload_bf16({ 1, 1.0f / 256 });
        auto b = upload_bf16({ 1, 1 });
        auto bias = upload_bf16({ 1.0f / 256 });
        unsigned long long D = 0;
        cuMemAlloc_v2(&D, 2);
        Gemm g{ handle };
        g.epilogue = BIAS; g.bias = bias;
        expect("BIAS m=1 n=1 k=2 runs", g.run(1, 1, 2, a, b, D), 0);
        expect("BIAS added before the rounding to bf16", download(D, 1, R16BF)[0], 1.0 + 1.0 / 128);
    }
    {
        // the weight-gradient call: D fp32 += op(A) op(B) with beta = 1, BGRADB = k-sums of op(B) in fp32.
        // op(B) = B^T stored 3x2 (transb): B stored [[1, 2], [0, 1], [-1, 0.5]] -> op(B) = [[1, 0, -1], [2, 1, 0.5]]
        auto bt = upload_bf16({ 1, 0, -1, 2, 1, 0.5f });
        auto D = upload_f32({ 100, 200, 300, 400, 500, 600 });
        auto grad = upload_f32({ -7, -7, -7 });
        Gemm g{ handle };
        g.epilogue = BGRADB; g.bias = grad; g.transb = 1; g.d_type = R32F;
        expect("BGRADB with fp32 D, beta = 1 runs", g.run(2, 3, 2, A, bt, D, 1.0f), 0);
        auto d = download(D, 6, R32F);
        expect("beta = 1 accumulates: D(0,0) = 100 + 5", d[0], 105); expect("D(1,0) = 200 + 11", d[1], 211);
        expect("D(0,2) = 500 + 0", d[4], 500); expect("D(1,2) = 600 - 1", d[5], 599);
        auto s = download(grad, 3, R32F);
        // columns of op(B) summed over k, overwriting the vector (not accumulating into -7)
        expect("BGRADB[0] = 1 + 2", s[0], 3); expect("BGRADB[1] = 0 + 1", s[1], 1); expect("BGRADB[2] = -1 + 0.5", s[2], -0.5);
    }
    {
        auto grad = upload_bf16({ 9, 9 });
        unsigned long long D = 0;
        cuMemAlloc_v2(&D, 6 * 2);
        Gemm g{ handle };
        g.epilogue = BGRADA; g.bias = grad;
        expect("BGRADA runs", g.run(2, 3, 2, A, B, D), 0);
        auto s = download(grad, 2, R16BF);
        expect("BGRADA[0] = 1 + 2 (row 0 of A over k)", s[0], 3); expect("BGRADA[1] = 3 + 4", s[1], 7);
        expect("BGRADA leaves D as DEFAULT: D(1,0)", download(D, 6, R16BF)[1], 11);
    }
    {
        unsigned long long D = 0, v = 0;
        cuMemAlloc_v2(&D, 6 * 4 * 2);
        cuMemAlloc_v2(&v, 64);
        Gemm g{ handle };
        g.epilogue = GELU;
        expect("GELU (not in the subset) -> NOT_SUPPORTED", g.run(2, 3, 2, A, B, D), 15);
        g.epilogue = BIAS; g.bias = v; g.bias_type = R32F;
        expect("fp32 bias with a bf16 D -> NOT_SUPPORTED (the bias has D's type)", g.run(2, 3, 2, A, B, D), 15);
        g.bias_type = R16BF;
        expect("BIAS_DATA_TYPE set to D's type runs", g.run(2, 3, 2, A, B, D), 0);
        g.epilogue = BGRADB; g.bias_type = -1; g.batch = 2;
        expect("BGRADB over a batch -> NOT_SUPPORTED", g.run(2, 3, 2, A, B, D), 15);
        g.batch = 1; g.epilogue = BGRADA; g.bias = 0;
        expect("a bias gradient with no vector faults -> EXECUTION_FAILED", g.run(2, 3, 2, A, B, D), 13);
    }
    std::printf(failures == 0 ? "all checks passed\n" : "%d checks FAILED\n", failures);
    return failures;
}
