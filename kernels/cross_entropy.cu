// Fused softmax cross-entropy over a large vocabulary, computed in vocabulary chunks so the full
// [rows, vocab] logits never need to exist at once (the LM head can be run one column chunk at a time):
//   1. cross_entropy_chunk_stats   for each chunk: merge the chunk's online log-sum-exp into per-row running
//                                  (max, sum) and pick up the target logit when the target falls in the chunk;
//   2. cross_entropy_finalize      lse = max + log(sum), loss[row] = lse - target_logit (0 for ignored rows);
//   3. cross_entropy_chunk_grad    for each chunk: grad = (softmax - onehot) * scale, scale = dloss / n_valid
//                                  (the caller counts valid targets on the host: labels are host data).
// Rows whose target is ignore_index (-100, or outside [0, vocab)) get zero loss and zero gradient.
// Logits chunk: rows x chunk_cols at column offset col_offset, row stride ld (elements). grad may alias logits
// (in place): each element is read before it is written by the same thread.
// Geometry: one block per row (blocks walk rows with a stride), blockDim.x a multiple of 32 (<= 1024).
// Before the first chunk: run_max = -inf (fill_f32), run_sum = 0, target_logit = 0.
#include "common.cuh"

#define CE_IGNORE_INDEX (-100)

extern "C" __global__ void cross_entropy_chunk_stats(const bf16* __restrict__ logits, i64 ld, int rows, int chunk_cols, int col_offset,
                                                     const int* __restrict__ targets, float* __restrict__ run_max,
                                                     float* __restrict__ run_sum, float* __restrict__ target_logit)
{
    for (int r = blockIdx.x; r < rows; r += gridDim.x)
    {
        const bf16* lr = logits + (i64)r * ld;
        LseState st{ -MANTIS_INF, 0.0f };
        for (int j = threadIdx.x; j < chunk_cols; j += blockDim.x) st = lse_push(st, bf16_to_f32(lr[j]));
        st = block_lse(st);
        if (threadIdx.x == 0)
        {
            const LseState merged = lse_merge(LseState{ run_max[r], run_sum[r] }, st);
            run_max[r] = merged.m;
            run_sum[r] = merged.s;
            const int t = targets[r];
            if (t >= col_offset && t < col_offset + chunk_cols) target_logit[r] = bf16_to_f32(lr[t - col_offset]);
        }
    }
}

extern "C" __global__ void cross_entropy_finalize(const float* __restrict__ run_max, const float* __restrict__ run_sum,
                                                  const float* __restrict__ target_logit, const int* __restrict__ targets,
                                                  float* __restrict__ lse_out, float* __restrict__ loss, int rows, int vocab)
{
    GRID_STRIDE(r, rows)
    {
        const float lse = run_max[r] + logf(run_sum[r]);
        lse_out[r] = lse;
        const int t = targets[r];
        loss[r] = (t == CE_IGNORE_INDEX || t < 0 || t >= vocab) ? 0.0f : lse - target_logit[r];
    }
}

extern "C" __global__ void cross_entropy_chunk_grad(const bf16* logits, i64 ld, bf16* grad, i64 ld_grad, int rows, int chunk_cols,
                                                    int col_offset, const int* __restrict__ targets, const float* __restrict__ lse,
                                                    int vocab, float scale)
{
    const i64 n = (i64)rows * chunk_cols;
    GRID_STRIDE(i, n)
    {
        const int r = (int)(i / chunk_cols);
        const int j = (int)(i - (i64)r * chunk_cols);
        const int t = targets[r];
        float g = 0.0f;
        if (t != CE_IGNORE_INDEX && t >= 0 && t < vocab)
        {
            const float p = __expf(bf16_to_f32(logits[(i64)r * ld + j]) - lse[r]);
            g = (p - (col_offset + j == t ? 1.0f : 0.0f)) * scale;
        }
        grad[(i64)r * ld_grad + j] = f32_to_bf16(g);
    }
}

// mean loss = sum(loss) * inv_count, one block (deterministic order within the block).
extern "C" __global__ void cross_entropy_mean(const float* __restrict__ loss, int rows, float inv_count, float* __restrict__ out)
{
    float s = 0.0f;
    for (int r = threadIdx.x; r < rows; r += blockDim.x) s += loss[r];
    s = block_sum(s);
    if (threadIdx.x == 0) out[0] = s * inv_count;
}

// The fused linear cross-entropy's softmax step over one row chunk (Ops.LinearCrossEntropy): logits are the chunk's
// fp32 GEMM output [rows, vocab]; per row, loss[row] = lse - logit[target] (0 when ignored) and, when grad is not
// null, grad (bf16 [rows, vocab], the next GEMMs' operand) = (softmax - onehot(target)) * scale (0 when ignored).
// One block per row (blocks walk rows with a stride); whether a row counts is the same for all its threads.
extern "C" __global__ void linear_ce_chunk(const float* __restrict__ logits, int rows, int vocab, const int* __restrict__ targets,
                                           float* __restrict__ loss, bf16* __restrict__ grad, float scale)
{
    for (int r = blockIdx.x; r < rows; r += gridDim.x)
    {
        const float* lr = logits + (i64)r * vocab;
        bf16* gr = grad ? grad + (i64)r * vocab : nullptr;
        const int t = targets[r];
        if (t == CE_IGNORE_INDEX || t < 0 || t >= vocab)
        {
            if (threadIdx.x == 0) loss[r] = 0.0f;
            if (gr) for (int j = threadIdx.x; j < vocab; j += blockDim.x) gr[j] = f32_to_bf16(0.0f);
            continue;
        }
        LseState st{ -MANTIS_INF, 0.0f };
        for (int j = threadIdx.x; j < vocab; j += blockDim.x) st = lse_push(st, lr[j]);
        st = block_lse(st);
        const float lse = st.m + logf(st.s);
        if (threadIdx.x == 0) loss[r] = lse - lr[t];
        if (gr)
            for (int j = threadIdx.x; j < vocab; j += blockDim.x)
                gr[j] = f32_to_bf16((__expf(lr[j] - lse) - (j == t ? 1.0f : 0.0f)) * scale);
    }
}
