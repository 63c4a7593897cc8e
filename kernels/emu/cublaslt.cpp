// The cuBLASLt subset interop/CublasLtApi.cs declares, on the emulated device: column-major matmul
// D = alpha * op(A) * op(B) + beta * C over strided batches, bf16 or fp32 operands, fp32 accumulation and one
// rounding to D's type (round to nearest even for bf16), C not read when beta is 0 (as cuBLAS does), the
// DEFAULT, RELU, BIAS, RELU_BIAS, BGRADA and BGRADB epilogues. Operands are checked against their allocations first.
// Epilogues as cuBLASLt documents them (cublasLtEpilogue_t, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE):
// - BIAS: a packed vector of D's rows (m, column-major) added to every column in fp32 after alpha*AB + beta*C and
//   before the one rounding to D's type (and before RELU under RELU_BIAS).
// - BGRADA / BGRADB: the bias gradient of op(A) / op(B), the sum over the GEMM's k dimension: BGRADA writes m
//   values (sum_k op(A)(i, k)), BGRADB n values (sum_k op(B)(k, j)), fp32 sums in k order, one rounding, not scaled
//   by alpha, overwriting the vector; D is computed as under DEFAULT.
// - the vector's type is BIAS_DATA_TYPE, default (-1) D's type; cuBLASLt takes D's type for these (non-FP8,
//   non-IMMA) GEMMs, so another type is CUBLAS_STATUS_NOT_SUPPORTED, as is a bias gradient over a batch (the
//   emulator's subset: one bias vector per call).
#include "emu.h"
#include "ptx_twins.h"
#include <cstring>

namespace
{
enum : int { OK = 0, NOT_INITIALIZED = 1, INVALID_VALUE = 7, EXECUTION_FAILED = 13, NOT_SUPPORTED = 15 };
enum : int { R32F = 0, R16BF = 14 };

struct Desc { int compute, scale, transa = 0, transb = 0, transc = 0, pointer_mode = 0; unsigned int epilogue = 1; uint64_t bias = 0; int bias_type = -1; };
struct Layout { int type; uint64_t rows, cols; int64_t ld; int order = 0; int batch = 1; int64_t stride = 0; };
struct Pref { uint64_t max_workspace = 0; };
char g_handle_tag;
int g_handles = 0;

std::map<void*, Desc*>& descs() { static std::map<void*, Desc*> m; return m; }
std::map<void*, Layout*>& layouts() { static std::map<void*, Layout*> m; return m; }
std::map<void*, Pref*>& prefs() { static std::map<void*, Pref*> m; return m; }

size_t elem_size(int t) { return t == R32F ? 4 : 2; }

enum : unsigned int { EPI_DEFAULT = 1, EPI_RELU = 2, EPI_BIAS = 4, EPI_RELU_BIAS = 6, EPI_BGRADA = 256, EPI_BGRADB = 512 };
bool adds_bias(unsigned int e) { return e == EPI_BIAS || e == EPI_RELU_BIAS; }
bool bias_gradient(unsigned int e) { return e == EPI_BGRADA || e == EPI_BGRADB; }
bool uses_vector(unsigned int e) { return adds_bias(e) || bias_gradient(e); }
int vector_type(const Desc& d, const Layout& dd) { return d.bias_type == -1 ? dd.type : d.bias_type; }

// Destroys a descriptor of one of the tables; an unknown one is CUBLAS_STATUS_INVALID_VALUE.
template <class T> int destroy(std::map<void*, T*>& table, void* handle)
{
    std::lock_guard<std::recursive_mutex> lock(emu::api_lock());
    auto it = table.find(handle);
    if (it == table.end()) return INVALID_VALUE;
    delete it->second;
    table.erase(it);
    return OK;
}

template <class T> bool read_attr(const void* buf, size_t size, T& out)
{
    if (!buf || size != sizeof(T)) return false;
    std::memcpy(&out, buf, sizeof(T));
    return true;
}

float load(int type, uintptr_t base, uint64_t idx)
{
    if (type == R32F) { float f; std::memcpy(&f, (const void*)(base + idx * 4), 4); return f; }
    unsigned short h;
    std::memcpy(&h, (const void*)(base + idx * 2), 2);
    unsigned int u = (unsigned int)h << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

void store(int type, uintptr_t base, uint64_t idx, float v)
{
    if (type == R32F) { std::memcpy((void*)(base + idx * 4), &v, 4); return; }
    unsigned short h;
    mantis_ptx::cvt_rn_bf16_f32(h, v);
    std::memcpy((void*)(base + idx * 2), &h, 2);
}

// The bytes a batched column-major matrix spans: (batch - 1) * stride + (cols - 1) * ld + rows elements.
size_t span(const Layout& l)
{
    uint64_t elems = (uint64_t)(l.batch - 1) * (uint64_t)l.stride + (l.cols - 1) * (uint64_t)l.ld + l.rows;
    return elems * elem_size(l.type);
}

bool supported(const Layout& l) { return (l.type == R32F || l.type == R16BF) && l.order == 0 && l.rows > 0 && l.cols > 0 && l.ld >= (int64_t)l.rows; }

int check_shapes(const Desc& d, const Layout& a, const Layout& b, const Layout& c, const Layout& dd, uint64_t& m, uint64_t& n, uint64_t& k)
{
    if (!supported(a) || !supported(b) || !supported(c) || !supported(dd)) return NOT_SUPPORTED;
    if (d.transc != 0 || d.pointer_mode != 0) return NOT_SUPPORTED;
    if (d.epilogue != EPI_DEFAULT && d.epilogue != EPI_RELU && !uses_vector(d.epilogue)) return NOT_SUPPORTED;
    if (uses_vector(d.epilogue) && vector_type(d, dd) != dd.type) return NOT_SUPPORTED;
    if (bias_gradient(d.epilogue) && dd.batch != 1) return NOT_SUPPORTED;
    m = dd.rows;
    n = dd.cols;
    const uint64_t am = d.transa ? a.cols : a.rows, ak = d.transa ? a.rows : a.cols;
    const uint64_t bk = d.transb ? b.cols : b.rows, bn = d.transb ? b.rows : b.cols;
    if (am != m || bn != n || ak != bk || c.rows != m || c.cols != n) return INVALID_VALUE;
    if (a.batch != dd.batch || b.batch != dd.batch || c.batch != dd.batch) return INVALID_VALUE;
    if (c.type != dd.type) return NOT_SUPPORTED;
    k = ak;
    return OK;
}
}   // namespace

MANTIS_EXPORT size_t cublasLtGetVersion() { return 120403; }

MANTIS_EXPORT const char* cublasLtGetStatusName(int s)
{
    switch (s)
    {
    case 0: return "CUBLAS_STATUS_SUCCESS";
    case 1: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case 3: return "CUBLAS_STATUS_ALLOC_FAILED";
    case 7: return "CUBLAS_STATUS_INVALID_VALUE";
    case 8: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case 11: return "CUBLAS_STATUS_MAPPING_ERROR";
    case 13: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case 14: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case 15: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case 16: return "CUBLAS_STATUS_LICENSE_ERROR";
    default: return "CUBLAS_STATUS_UNKNOWN";
    }
}

#define LOCK std::lock_guard<std::recursive_mutex> lock_(emu::api_lock())

MANTIS_EXPORT int cublasLtCreate(void** h)
{
    LOCK;
    if (!h) return INVALID_VALUE;
    g_handles++;
    *h = &g_handle_tag;
    return OK;
}

MANTIS_EXPORT int cublasLtDestroy(void* h)
{
    LOCK;
    if (h != &g_handle_tag || g_handles == 0) return NOT_INITIALIZED;
    g_handles--;
    return OK;
}

MANTIS_EXPORT int cublasLtMatmulDescCreate(void** desc, int compute, int scale)
{
    LOCK;
    if (!desc) return INVALID_VALUE;
    if (compute != 68 && compute != 75 && compute != 77) return NOT_SUPPORTED;   // 32F, 32F_FAST_16BF, 32F_FAST_TF32
    if (scale != R32F) return NOT_SUPPORTED;
    auto* d = new Desc{ compute, scale };
    descs()[d] = d;
    *desc = d;
    return OK;
}

MANTIS_EXPORT int cublasLtMatmulDescSetAttribute(void* desc, int attr, const void* buf, size_t size)
{
    LOCK;
    auto it = descs().find(desc);
    if (it == descs().end()) return INVALID_VALUE;
    Desc& d = *it->second;
    bool ok;
    switch (attr)
    {
    case 0: ok = read_attr(buf, size, d.compute); break;
    case 1: ok = read_attr(buf, size, d.scale); break;
    case 2: ok = read_attr(buf, size, d.pointer_mode); break;
    case 3: ok = read_attr(buf, size, d.transa) && d.transa >= 0 && d.transa <= 2; break;
    case 4: ok = read_attr(buf, size, d.transb) && d.transb >= 0 && d.transb <= 2; break;
    case 5: ok = read_attr(buf, size, d.transc); break;
    case 7: ok = read_attr(buf, size, d.epilogue); break;
    case 8: ok = read_attr(buf, size, d.bias); break;
    case 26: ok = read_attr(buf, size, d.bias_type); break;
    default: return NOT_SUPPORTED;
    }
    return ok ? OK : INVALID_VALUE;
}

MANTIS_EXPORT int cublasLtMatmulDescDestroy(void* desc) { return destroy(descs(), desc); }

MANTIS_EXPORT int cublasLtMatrixLayoutCreate(void** layout, int type, uint64_t rows, uint64_t cols, int64_t ld)
{
    LOCK;
    if (!layout) return INVALID_VALUE;
    auto* l = new Layout{ type, rows, cols, ld };
    layouts()[l] = l;
    *layout = l;
    return OK;
}

MANTIS_EXPORT int cublasLtMatrixLayoutSetAttribute(void* layout, int attr, const void* buf, size_t size)
{
    LOCK;
    auto it = layouts().find(layout);
    if (it == layouts().end()) return INVALID_VALUE;
    Layout& l = *it->second;
    bool ok;
    switch (attr)
    {
    case 0: ok = read_attr(buf, size, l.type); break;
    case 1: ok = read_attr(buf, size, l.order); break;
    case 2: ok = read_attr(buf, size, l.rows); break;
    case 3: ok = read_attr(buf, size, l.cols); break;
    case 4: ok = read_attr(buf, size, l.ld); break;
    case 5: ok = read_attr(buf, size, l.batch) && l.batch >= 1; break;
    case 6: ok = read_attr(buf, size, l.stride); break;
    default: return NOT_SUPPORTED;
    }
    return ok ? OK : INVALID_VALUE;
}

MANTIS_EXPORT int cublasLtMatrixLayoutDestroy(void* layout) { return destroy(layouts(), layout); }

MANTIS_EXPORT int cublasLtMatmulPreferenceCreate(void** pref)
{
    LOCK;
    if (!pref) return INVALID_VALUE;
    auto* p = new Pref{};
    prefs()[p] = p;
    *pref = p;
    return OK;
}

MANTIS_EXPORT int cublasLtMatmulPreferenceSetAttribute(void* pref, int attr, const void* buf, size_t size)
{
    LOCK;
    auto it = prefs().find(pref);
    if (it == prefs().end()) return INVALID_VALUE;
    if (attr == 1) return read_attr(buf, size, it->second->max_workspace) ? OK : INVALID_VALUE;
    if (attr == 0) { uint32_t mode; return read_attr(buf, size, mode) ? OK : INVALID_VALUE; }
    return NOT_SUPPORTED;
}

MANTIS_EXPORT int cublasLtMatmulPreferenceDestroy(void* pref) { return destroy(prefs(), pref); }

struct HeuristicResult { uint64_t algo[8]; size_t workspace; int state; float waves; int reserved[4]; };

MANTIS_EXPORT int cublasLtMatmulAlgoGetHeuristic(void* h, void* desc, void* a, void* b, void* c, void* d, void* pref, int requested,
                                                 HeuristicResult* results, int* returned)
{
    LOCK;
    if (h != &g_handle_tag) return NOT_INITIALIZED;
    if (!results || !returned || requested < 1) return INVALID_VALUE;
    auto di = descs().find(desc);
    auto la = layouts().find(a), lb = layouts().find(b), lc = layouts().find(c), ld = layouts().find(d);
    if (di == descs().end() || la == layouts().end() || lb == layouts().end() || lc == layouts().end() || ld == layouts().end() ||
        !prefs().count(pref))
        return INVALID_VALUE;
    uint64_t m, n, k;
    int r = check_shapes(*di->second, *la->second, *lb->second, *lc->second, *ld->second, m, n, k);
    if (r != OK) { *returned = 0; return r == INVALID_VALUE ? INVALID_VALUE : NOT_SUPPORTED; }
    std::memset(&results[0], 0, sizeof(HeuristicResult));
    results[0].algo[0] = 0x4d414e5449534555ull;   // "the" emulated algorithm
    results[0].workspace = 0;
    results[0].state = OK;
    results[0].waves = 1.0f;
    *returned = 1;
    return OK;
}

MANTIS_EXPORT int cublasLtMatmul(void* h, void* desc, const void* alpha, uint64_t A, void* adesc, uint64_t B, void* bdesc, const void* beta,
                                 uint64_t C, void* cdesc, uint64_t D, void* ddesc, const void* algo, uint64_t workspace, size_t ws_bytes,
                                 void* stream)
{
    LOCK;
    if (h != &g_handle_tag) return NOT_INITIALIZED;
    emu::flush_stream_for(stream);   // deferred page-locked copies queued on the stream come first
    if (emu::sticky()) return EXECUTION_FAILED;
    auto di = descs().find(desc);
    auto la = layouts().find(adesc), lb = layouts().find(bdesc), lc = layouts().find(cdesc), ld = layouts().find(ddesc);
    if (di == descs().end() || la == layouts().end() || lb == layouts().end() || lc == layouts().end() || ld == layouts().end() || !alpha || !beta)
        return INVALID_VALUE;
    const Desc& dsc = *di->second;
    const Layout &la_ = *la->second, &lb_ = *lb->second, &lc_ = *lc->second, &ld_ = *ld->second;
    uint64_t m, n, k;
    int r = check_shapes(dsc, la_, lb_, lc_, ld_, m, n, k);
    if (r != OK) return r;
    (void)algo;
    float al, be;
    std::memcpy(&al, alpha, 4);
    std::memcpy(&be, beta, 4);
    struct Operand { const char* name; uint64_t p; const Layout* l; bool used; };
    const Operand ops[] = { { "A", A, &la_, true }, { "B", B, &lb_, true }, { "C", C, &lc_, be != 0.0f }, { "D", D, &ld_, true } };
    for (auto& o : ops)
    {
        if (!o.used) continue;
        if (!emu::mem_find(o.p, span(*o.l)))
        {
            emu::set_sticky(700, std::string("cublasLtMatmul: operand ") + o.name + " (" + std::to_string(span(*o.l)) + " bytes from " +
                                     emu::mem_describe(o.p) + ") is not inside one live allocation");
            return EXECUTION_FAILED;
        }
    }
    if (ws_bytes && !emu::mem_find(workspace, ws_bytes)) { emu::set_sticky(700, "cublasLtMatmul: workspace outside its allocation"); return EXECUTION_FAILED; }
    const int vtype = vector_type(dsc, ld_);
    const uint64_t vlen = dsc.epilogue == EPI_BGRADB ? n : m;
    if (uses_vector(dsc.epilogue) && !emu::mem_find(dsc.bias, vlen * elem_size(vtype)))
    {
        emu::set_sticky(700, std::string("cublasLtMatmul: ") + (adds_bias(dsc.epilogue) ? "bias" : "bias gradient") + " vector (" +
                                 std::to_string(vlen * elem_size(vtype)) + " bytes from " + emu::mem_describe(dsc.bias) + ") is not inside one live allocation");
        return EXECUTION_FAILED;
    }
    std::vector<float> a((size_t)(m * k)), b((size_t)(n * k)), out((size_t)(m * n));
    for (int batch = 0; batch < ld_.batch; batch++)
    {
        const uint64_t oa = (uint64_t)batch * la_.stride, ob = (uint64_t)batch * lb_.stride, oc = (uint64_t)batch * lc_.stride, od = (uint64_t)batch * ld_.stride;
        for (uint64_t i = 0; i < m; i++)          // a[i][kk] = op(A)(i, kk)
            for (uint64_t kk = 0; kk < k; kk++)
                a[i * k + kk] = load(la_.type, A, oa + (dsc.transa ? i * la_.ld + kk : kk * la_.ld + i));
        for (uint64_t j = 0; j < n; j++)          // b[j][kk] = op(B)(kk, j)
            for (uint64_t kk = 0; kk < k; kk++)
                b[j * k + kk] = load(lb_.type, B, ob + (dsc.transb ? kk * lb_.ld + j : j * lb_.ld + kk));
        for (uint64_t j = 0; j < n; j++)
            for (uint64_t i = 0; i < m; i++)
            {
                float acc = 0.0f;
                const float* ar = &a[i * k];
                const float* br = &b[j * k];
                for (uint64_t kk = 0; kk < k; kk++) acc += ar[kk] * br[kk];
                float v = al * acc;
                if (be != 0.0f) v += be * load(lc_.type, C, oc + j * lc_.ld + i);
                if (adds_bias(dsc.epilogue)) v += load(vtype, dsc.bias, i);
                if (dsc.epilogue == EPI_RELU || dsc.epilogue == EPI_RELU_BIAS) v = v > 0.0f ? v : 0.0f;
                out[j * m + i] = v;
            }
        for (uint64_t j = 0; j < n; j++)
            for (uint64_t i = 0; i < m; i++) store(ld_.type, D, od + j * ld_.ld + i, out[j * m + i]);
        if (dsc.epilogue == EPI_BGRADA)   // one batch (check_shapes): sum_k op(A)(i, k)
            for (uint64_t i = 0; i < m; i++)
            {
                float acc = 0.0f;
                for (uint64_t kk = 0; kk < k; kk++) acc += a[i * k + kk];
                store(vtype, dsc.bias, i, acc);
            }
        if (dsc.epilogue == EPI_BGRADB)   // sum_k op(B)(k, j)
            for (uint64_t j = 0; j < n; j++)
            {
                float acc = 0.0f;
                for (uint64_t kk = 0; kk < k; kk++) acc += b[j * k + kk];
                store(vtype, dsc.bias, j, acc);
            }
    }
    return OK;
}
