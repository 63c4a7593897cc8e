// cuTensorMapEncodeTiled on the emulated device: checks the arguments as the CUDA driver documents them and
// writes the emulator's own 128-byte encoding (mantis_ptx::sm90::TensorMap in twins_sm90.h, which the
// cp.async.bulk.tensor twin reads). Only the tiled, non-interleaved form the kernels use is accepted.
#include "emu.h"
#include <cstdio>
#include <cstring>

namespace
{
// must match mantis_ptx::sm90::TensorMap
struct TensorMap
{
    unsigned int magic;
    unsigned char dtype, rank, interleave, swizzle, oob_fill, l2, elem_bytes, pad;
    unsigned long long global;
    unsigned int dim[5];
    unsigned long long stride[4];
    unsigned short box[5];
    unsigned char estride[5];
};
static_assert(sizeof(TensorMap) <= 128, "a CUtensorMap is 128 bytes");

// CUtensorMapDataType -> element bytes (0: unknown)
int element_bytes(int t)
{
    switch (t)
    {
    case 0: return 1;                      // UINT8
    case 1: case 6: case 9: return 2;      // UINT16, FLOAT16, BFLOAT16
    case 2: case 3: case 7: case 10: case 11: case 12: return 4;   // UINT32, INT32, FLOAT32(_FTZ), TFLOAT32(_FTZ)
    case 4: case 5: case 8: return 8;      // UINT64, INT64, FLOAT64
    default: return 0;
    }
}

int refuse(const char* why)
{
    std::fprintf(stderr, "mantis emulated device: cuTensorMapEncodeTiled: %s\n", why);
    return 1;   // CUDA_ERROR_INVALID_VALUE
}
}   // namespace

MANTIS_EXPORT int cuTensorMapEncodeTiled(void* map, int dtype, unsigned int rank, void* global, const unsigned long long* dims,
                                         const unsigned long long* strides, const unsigned int* box, const unsigned int* estrides,
                                         int interleave, int swizzle, int l2, int oob_fill)
{
    std::lock_guard<std::recursive_mutex> lock(emu::api_lock());
    if (!map || !dims || !box || !estrides || (rank > 1 && !strides)) return refuse("a null pointer argument");
    const int eb = element_bytes(dtype);
    if (eb == 0) return refuse("unknown data type");
    if (rank < 1 || rank > 5) return refuse("rank must be 1..5");
    if (interleave != 0) return refuse("interleaved layouts are not emulated");
    if (swizzle < 0 || swizzle > 3) return refuse("unknown swizzle");
    if (oob_fill < 0 || oob_fill > 1 || l2 < 0 || l2 > 3) return refuse("unknown L2 promotion or out-of-bounds fill");
    if (reinterpret_cast<uintptr_t>(map) % 64) return refuse("the CUtensorMap must be 64-byte aligned");
    const auto g = reinterpret_cast<uintptr_t>(global);
    if (g % 16) return refuse("the global address must be 16-byte aligned");
    unsigned long long extent = eb;
    for (unsigned int d = 0; d < rank; d++)
    {
        if (dims[d] == 0 || dims[d] > (1ull << 32) - 1) return refuse("each global dimension must be 1..2^32-1 here");
        if (box[d] == 0 || box[d] > 256) return refuse("each box dimension must be 1..256");
        if (estrides[d] != 1) return refuse("element strides other than 1 are not emulated");
        const unsigned long long st = d == 0 ? (unsigned long long)eb : strides[d - 1];
        if (d > 0 && (st % 16 || st >= (1ull << 40))) return refuse("global strides must be multiples of 16 bytes below 2^40");
        extent += (dims[d] - 1) * st;
    }
    if ((box[0] * eb) % 16) return refuse("the inner box dimension must span a multiple of 16 bytes");
    const unsigned span = swizzle == 1 ? 32 : swizzle == 2 ? 64 : swizzle == 3 ? 128 : 0;
    if (span && box[0] * eb > span) return refuse("the inner box dimension must not span more bytes than the swizzle");
    if (!emu::mem_find(g, extent)) return refuse("the tensor does not lie inside one device allocation");
    TensorMap m{};
    m.magic = 0x4d4d5454u;
    m.dtype = (unsigned char)dtype;
    m.rank = (unsigned char)rank;
    m.swizzle = (unsigned char)swizzle;
    m.oob_fill = (unsigned char)oob_fill;
    m.l2 = (unsigned char)l2;
    m.elem_bytes = (unsigned char)eb;
    m.global = g;
    for (unsigned int d = 0; d < rank; d++)
    {
        m.dim[d] = (unsigned int)dims[d];
        m.box[d] = (unsigned short)box[d];
        m.estride[d] = 1;
        if (d > 0) m.stride[d - 1] = strides[d - 1];
    }
    std::memset(map, 0, 128);
    std::memcpy(map, &m, sizeof m);
    return 0;
}
