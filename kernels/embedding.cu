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

// gtable ([vocab, dim] fp32, zeroed or holding earlier grads) += gout rows at their ids, deterministically and
// without atomics although an id may appear many times: block b owns the table rows [v0, v0 + rows_per_block)
// (blocks stride over the table) and walks all tokens in order, each thread its columns of the rows the tokens hit.
// No two threads write one element, and each element sums its tokens in token order: the same bits on every run.
extern "C" __global__ void embedding_backward(const bf16* __restrict__ gout, const int* __restrict__ ids,
                                              float* __restrict__ gtable, i64 n_tokens, int dim, int vocab, int rows_per_block)
{
    for (i64 v0 = (i64)blockIdx.x * rows_per_block; v0 < vocab; v0 += (i64)gridDim.x * rows_per_block)
    {
        const i64 v1 = v0 + rows_per_block < vocab ? v0 + rows_per_block : vocab;
        for (i64 t = 0; t < n_tokens; t++)
        {
            const int id = ids[t];
            if (id < v0 || id >= v1) continue;   // the same for every thread of the block
            for (int d = threadIdx.x; d < dim; d += blockDim.x) gtable[(i64)id * dim + d] += bf16_to_f32(gout[t * dim + d]);
        }
    }
}
