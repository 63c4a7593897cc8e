// Embedding gather (forward) and scatter-add (backward). The table is [vocab, dim] bf16; ids are int32.
// An id outside [0, vocab) yields a zero row forward and is skipped backward (never an out-of-bounds access).
#include "common.cuh"

extern "C" __global__ void embedding_forward(const bf16* __restrict__ table, const int* __restrict__ ids,
                                             bf16* __restrict__ out, i64 n_tokens, int dim, int vocab)
{
    GRID_STRIDE(i, n_tokens * dim)
    {
        const i64 t = i / dim;
        const int d = (int)(i - t * dim);
        const int id = ids[t];
        out[i] = (id >= 0 && id < vocab) ? table[(i64)id * dim + d] : (bf16)0;
    }
}

// gtable ([vocab, dim] fp32, zeroed or holding earlier grads) += gout rows at their ids. fp32 atomics because
// the same id may appear many times in a batch.
extern "C" __global__ void embedding_backward(const bf16* __restrict__ gout, const int* __restrict__ ids,
                                              float* __restrict__ gtable, i64 n_tokens, int dim, int vocab)
{
    GRID_STRIDE(i, n_tokens * dim)
    {
        const i64 t = i / dim;
        const int d = (int)(i - t * dim);
        const int id = ids[t];
        if (id >= 0 && id < vocab) atomicAdd(&gtable[(i64)id * dim + d], bf16_to_f32(gout[i]));
    }
}
