namespace MantisNative.Backends.Cpu;

/// <summary>The shape and masking of one scaled-dot-product attention call.</summary>
/// <param name="Batch">B</param>
/// <param name="Heads">query heads Hq</param>
/// <param name="KvHeads">key/value heads Hkv (Hq is a multiple: grouped-query attention)</param>
/// <param name="QueryLen">T, the queries are the last T of the S key positions</param>
/// <param name="KeyLen">S</param>
/// <param name="HeadDim">D</param>
/// <param name="Causal">query i sees keys j &lt;= i + (S - T)</param>
/// <param name="KeyValid">optional [B, S] key padding mask, false = never attended</param>
/// <param name="Scale">multiplies q.k (usually 1/sqrt(D))</param>
/// <param name="TokenMajor">q, o [B, T, Hq, D] and k, v [B, S, Hkv, D] instead of [B, H, T, D]</param>
internal sealed record AttentionShape(int Batch, int Heads, int KvHeads, int QueryLen, int KeyLen, int HeadDim, bool Causal, bool[]? KeyValid, float Scale,
    bool TokenMajor = false)
{
    public int Group => Heads / KvHeads;

    /// <summary>Elements between consecutive tokens of one head of q, o, dO, dQ (the GEMMs' leading dimension).</summary>
    public int QueryRow => TokenMajor ? Heads * HeadDim : HeadDim;

    /// <summary>Elements between consecutive tokens of one head of k, v, dK, dV.</summary>
    public int KeyRow => TokenMajor ? KvHeads * HeadDim : HeadDim;

    /// <summary>Offset of query head h of batch b's first token.</summary>
    public long QueryHead(int b, int h) => TokenMajor ? ((long)b * QueryLen * Heads + h) * HeadDim : ((long)b * Heads + h) * QueryLen * HeadDim;

    /// <summary>Offset of key/value head hk of batch b's first token.</summary>
    public long KeyHead(int b, int hk) => TokenMajor ? ((long)b * KeyLen * KvHeads + hk) * HeadDim : ((long)b * KvHeads + hk) * KeyLen * HeadDim;

    /// <summary>Keys [0, end) are candidates for query i (causality); padding is checked per key.</summary>
    public int KeyEnd(int i) => Causal ? Math.Min(KeyLen, i + (KeyLen - QueryLen) + 1) : KeyLen;

    public bool Valid(int b, int j) => KeyValid is null || KeyValid[b * KeyLen + j];

    /// <summary>
    /// One past the last valid key of row b: keys beyond it are all masked (a preallocated KV cache's unfilled
    /// tail), so the loops stop there instead of scoring the whole capacity (they would add exact zeros).
    /// </summary>
    public int ValidEnd(int b)
    {
        if (KeyValid is null) return KeyLen;
        int j = KeyLen;
        while (j > 0 && !KeyValid[b * KeyLen + j - 1]) j--;
        return j;
    }
}

/// <summary>
/// Scaled-dot-product attention, q [B, Hq, T, D], k/v [B, Hkv, S, D], out [B, Hq, T, D], or all token-major
/// ([B, T, H, D]: the same loops with a wider row stride, so both layouts give the same bits). Work goes block by
/// block: a block of queries against a block of keys is two small GEMMs (scores = Q K^T, then P V), and an online
/// softmax (running max and sum per query) joins the key blocks, so memory stays linear in the sequence. The
/// backward recomputes each block's probabilities from the saved log-sum-exp. A query row with no visible key
/// outputs zeros.
/// </summary>
internal static unsafe class Attention
{
    // Block sizes: a 64 x 256 score block (64 KB) stays in L2. Tests shrink them to exercise every block path.
    internal static int QueryBlock = 64;
    internal static int KeyBlock = 256;

    [ThreadStatic] private static float[]? _scratch;

    private static float[] Scratch(int n)
    {
        var s = _scratch;
        if (s is null || s.Length < n) _scratch = s = new float[n];
        return s;
    }

    /// <summary>Scores block [nq, nk] = scale * Q K^T with masked entries at -inf.</summary>
    private static void Scores(AttentionShape a, int b, float* Q, float* K, int q0, int nq, int k0, int nk, float* s)
    {
        int D = a.HeadDim, lq = a.QueryRow, lk = a.KeyRow;
        Gemm.Sgemm(false, true, nq, nk, D, a.Scale, Q + (long)q0 * lq, lq, K + (long)k0 * lk, lk, 0f, s, nk);
        for (int i = 0; i < nq; i++)
        {
            int end = a.KeyEnd(q0 + i);
            float* row = s + (long)i * nk;
            for (int jj = 0; jj < nk; jj++)
                if (k0 + jj >= end || !a.Valid(b, k0 + jj)) row[jj] = float.NegativeInfinity;
        }
    }

    /// <summary>Zeroes rows [r0, r0 + n) of one head (row stride ld).</summary>
    private static void ClearRows(float* x, int r0, int n, int d, int ld)
    {
        if (ld == d) { new Span<float>(x + (long)r0 * d, n * d).Clear(); return; }
        for (int r = r0; r < r0 + n; r++) new Span<float>(x + (long)r * ld, d).Clear();
    }

    public static void Forward(AttentionShape a, float* q, float* k, float* v, float* o, float* lse)
    {
        int T = a.QueryLen, D = a.HeadDim, lq = a.QueryRow, lk = a.KeyRow;
        int qBlocks = (T + QueryBlock - 1) / QueryBlock;
        nint pq = (nint)q, pk = (nint)k, pv = (nint)v, po = (nint)o, pl = (nint)lse;
        CpuParallel.For(a.Batch * a.Heads * qBlocks, job =>
        {
            int qb = job % qBlocks, bh = job / qBlocks, h = bh % a.Heads, b = bh / a.Heads;
            float* K = (float*)pk + a.KeyHead(b, h / a.Group);
            float* V = (float*)pv + a.KeyHead(b, h / a.Group);
            float* Q = (float*)pq + a.QueryHead(b, h);
            float* O = (float*)po + a.QueryHead(b, h);
            float* L = (float*)pl + (long)bh * T;
            int q0 = qb * QueryBlock, nq = Math.Min(QueryBlock, T - q0);
            int kEnd = Math.Min(a.KeyEnd(q0 + nq - 1), a.ValidEnd(b));
            var scratch = Scratch(QueryBlock * KeyBlock + 2 * QueryBlock);
            fixed (float* sc = scratch)
            {
                float* m = sc + QueryBlock * KeyBlock, l = m + QueryBlock;
                ClearRows(O, q0, nq, D, lq);
                for (int i = 0; i < nq; i++) { m[i] = float.NegativeInfinity; l[i] = 0; }
                for (int k0 = 0; k0 < kEnd; k0 += KeyBlock)
                {
                    int nk = Math.Min(KeyBlock, kEnd - k0);
                    Scores(a, b, Q, K, q0, nq, k0, nk, sc);
                    for (int i = 0; i < nq; i++)
                    {
                        var row = new Span<float>(sc + (long)i * nk, nk);
                        float bm = TensorPrimitives.Max(row);
                        if (float.IsNegativeInfinity(bm)) { row.Clear(); continue; }
                        float mNew = Math.Max(m[i], bm);
                        float corr = MathF.Exp(m[i] - mNew); // 0 while m was -inf
                        if (corr != 1f)
                        {
                            var oi = new Span<float>(O + (long)(q0 + i) * lq, D);
                            TensorPrimitives.Multiply(oi, corr, oi);
                            l[i] *= corr;
                        }
                        TensorPrimitives.Subtract(row, mNew, row);
                        TensorPrimitives.Exp(row, row); // exp(-inf) = 0 for masked keys
                        l[i] += TensorPrimitives.Sum(row);
                        m[i] = mNew;
                    }
                    Gemm.Sgemm(false, false, nq, D, nk, 1f, sc, nk, V + (long)k0 * lk, lk, 1f, O + (long)q0 * lq, lq);
                }
                for (int i = 0; i < nq; i++)
                {
                    var oi = new Span<float>(O + (long)(q0 + i) * lq, D);
                    if (l[i] != 0) // NaN scores give NaN here and must stay NaN (PyTorch propagates it); 0 only when every key is masked
                    {
                        TensorPrimitives.Multiply(oi, 1f / l[i], oi);
                        L[q0 + i] = m[i] + MathF.Log(l[i]);
                    }
                    else
                    {
                        oi.Clear();
                        L[q0 + i] = float.NegativeInfinity;
                    }
                }
            }
        });
    }

    /// <summary>Gradients; dq, dk, dv may be null when not wanted. dq, dk and dv are overwritten.</summary>
    /// <remarks>
    /// One job per (batch, KV head) runs the query heads of its group one after another and accumulates their
    /// dK and dV straight into the output: no two jobs write one row, so there are no per-head partial
    /// buffers to allocate and sum (B * Hq * S * D floats twice per call, which was a large part of the
    /// tiny model's attention backward).
    /// </remarks>
    public static void Backward(AttentionShape a, float* q, float* k, float* v, float* o, float* lse, float* dout, float* dq, float* dk, float* dv)
    {
        int T = a.QueryLen, S = a.KeyLen, D = a.HeadDim, H = a.Heads, lq = a.QueryRow, lk = a.KeyRow;
        nint pq = (nint)q, pk = (nint)k, pv = (nint)v, po = (nint)o, pl = (nint)lse, pdo = (nint)dout, pdq = (nint)dq, pdk = (nint)dk, pdv = (nint)dv;
        CpuParallel.For(a.Batch * a.KvHeads, bk =>
        {
            int b = bk / a.KvHeads, hk = bk % a.KvHeads;
            long kvOffset = a.KeyHead(b, hk);
            float* K = (float*)pk + kvOffset;
            float* V = (float*)pv + kvOffset;
            float* dK = pdk == 0 ? null : (float*)pdk + kvOffset;
            float* dV = pdv == 0 ? null : (float*)pdv + kvOffset;
            if (dK != null) ClearRows(dK, 0, S, D, lk);
            if (dV != null) ClearRows(dV, 0, S, D, lk);
            var scratch = Scratch(2 * QueryBlock * KeyBlock + QueryBlock);
            fixed (float* sc = scratch)
                for (int g = 0; g < a.Group; g++)
                {
                    int h = hk * a.Group + g;
                    long bh = (long)b * H + h, qOffset = a.QueryHead(b, h);
                    float* dQ = pdq == 0 ? null : (float*)pdq + qOffset;
                    if (dQ != null) ClearRows(dQ, 0, T, D, lq);
                    HeadBackward(a, b, (float*)pq + qOffset, K, V, (float*)po + qOffset, (float*)pl + bh * T,
                        (float*)pdo + qOffset, dQ, dK, dV, sc);
                }
        });
    }

    /// <summary>One query head's contribution: dQ (overwritten region of this head) and dK, dV accumulated.</summary>
    private static void HeadBackward(AttentionShape a, int b, float* Q, float* K, float* V, float* O, float* L, float* dO,
        float* dQ, float* dKH, float* dVH, float* sc)
    {
        int T = a.QueryLen, D = a.HeadDim, lq = a.QueryRow, lk = a.KeyRow;
        float* P = sc, dP = sc + QueryBlock * KeyBlock, Dvec = dP + QueryBlock * KeyBlock;
        for (int q0 = 0; q0 < T; q0 += QueryBlock)
        {
            int nq = Math.Min(QueryBlock, T - q0);
            int kEnd = Math.Min(a.KeyEnd(q0 + nq - 1), a.ValidEnd(b));
            for (int i = 0; i < nq; i++)
                Dvec[i] = TensorPrimitives.Dot(new ReadOnlySpan<float>(dO + (long)(q0 + i) * lq, D), new ReadOnlySpan<float>(O + (long)(q0 + i) * lq, D));
            for (int k0 = 0; k0 < kEnd; k0 += KeyBlock)
            {
                int nk = Math.Min(KeyBlock, kEnd - k0);
                Scores(a, b, Q, K, q0, nq, k0, nk, P);
                for (int i = 0; i < nq; i++)
                {
                    var row = new Span<float>(P + (long)i * nk, nk);
                    float Li = L[q0 + i];
                    if (float.IsNegativeInfinity(Li)) { row.Clear(); continue; }
                    TensorPrimitives.Subtract(row, Li, row);
                    TensorPrimitives.Exp(row, row);          // probabilities, 0 where masked
                }
                // dP = dO V^T; dS = P * (dP - D_i) * scale
                Gemm.Sgemm(false, true, nq, nk, D, 1f, dO + (long)q0 * lq, lq, V + (long)k0 * lk, lk, 0f, dP, nk);
                if (dVH != null) // dV += P^T dO
                    Gemm.Sgemm(true, false, nk, D, nq, 1f, P, nk, dO + (long)q0 * lq, lq, 1f, dVH + (long)k0 * lk, lk);
                for (int i = 0; i < nq; i++)
                {
                    var dpr = new Span<float>(dP + (long)i * nk, nk);
                    TensorPrimitives.Subtract(dpr, Dvec[i], dpr);
                    TensorPrimitives.Multiply(dpr, new ReadOnlySpan<float>(P + (long)i * nk, nk), dpr);
                    TensorPrimitives.Multiply(dpr, a.Scale, dpr);
                }
                if (dQ != null) // dQ += dS K
                    Gemm.Sgemm(false, false, nq, D, nk, 1f, dP, nk, K + (long)k0 * lk, lk, 1f, dQ + (long)q0 * lq, lq);
                if (dKH != null) // dK += dS^T Q
                    Gemm.Sgemm(true, false, nk, D, nq, 1f, dP, nk, Q + (long)q0 * lq, lq, 1f, dKH + (long)k0 * lk, lk);
            }
        }
    }
}
