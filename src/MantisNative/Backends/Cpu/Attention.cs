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
internal sealed record AttentionShape(int Batch, int Heads, int KvHeads, int QueryLen, int KeyLen, int HeadDim, bool Causal, bool[]? KeyValid, float Scale)
{
    public int Group => Heads / KvHeads;

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
/// Scaled-dot-product attention, q [B, Hq, T, D], k/v [B, Hkv, S, D], out [B, Hq, T, D]. Work goes block by
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
        int D = a.HeadDim;
        Gemm.Sgemm(false, true, nq, nk, D, a.Scale, Q + (long)q0 * D, D, K + (long)k0 * D, D, 0f, s, nk);
        for (int i = 0; i < nq; i++)
        {
            int end = a.KeyEnd(q0 + i);
            float* row = s + (long)i * nk;
            for (int jj = 0; jj < nk; jj++)
                if (k0 + jj >= end || !a.Valid(b, k0 + jj)) row[jj] = float.NegativeInfinity;
        }
    }

    public static void Forward(AttentionShape a, float* q, float* k, float* v, float* o, float* lse)
    {
        int T = a.QueryLen, S = a.KeyLen, D = a.HeadDim;
        int qBlocks = (T + QueryBlock - 1) / QueryBlock;
        nint pq = (nint)q, pk = (nint)k, pv = (nint)v, po = (nint)o, pl = (nint)lse;
        CpuParallel.For(a.Batch * a.Heads * qBlocks, job =>
        {
            int qb = job % qBlocks, bh = job / qBlocks, h = bh % a.Heads, b = bh / a.Heads;
            float* K = (float*)pk + ((long)b * a.KvHeads + h / a.Group) * S * D;
            float* V = (float*)pv + ((long)b * a.KvHeads + h / a.Group) * S * D;
            float* Q = (float*)pq + (long)bh * T * D;
            float* O = (float*)po + (long)bh * T * D;
            float* L = (float*)pl + (long)bh * T;
            int q0 = qb * QueryBlock, nq = Math.Min(QueryBlock, T - q0);
            int kEnd = Math.Min(a.KeyEnd(q0 + nq - 1), a.ValidEnd(b));
            var scratch = Scratch(QueryBlock * KeyBlock + 2 * QueryBlock);
            fixed (float* sc = scratch)
            {
                float* m = sc + QueryBlock * KeyBlock, l = m + QueryBlock;
                new Span<float>(O + (long)q0 * D, nq * D).Clear();
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
                            var oi = new Span<float>(O + (long)(q0 + i) * D, D);
                            TensorPrimitives.Multiply(oi, corr, oi);
                            l[i] *= corr;
                        }
                        TensorPrimitives.Subtract(row, mNew, row);
                        TensorPrimitives.Exp(row, row); // exp(-inf) = 0 for masked keys
                        l[i] += TensorPrimitives.Sum(row);
                        m[i] = mNew;
                    }
                    Gemm.Sgemm(false, false, nq, D, nk, 1f, sc, nk, V + (long)k0 * D, D, 1f, O + (long)q0 * D, D);
                }
                for (int i = 0; i < nq; i++)
                {
                    var oi = new Span<float>(O + (long)(q0 + i) * D, D);
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
        int T = a.QueryLen, S = a.KeyLen, D = a.HeadDim, H = a.Heads;
        nint pq = (nint)q, pk = (nint)k, pv = (nint)v, po = (nint)o, pl = (nint)lse, pdo = (nint)dout, pdq = (nint)dq, pdk = (nint)dk, pdv = (nint)dv;
        CpuParallel.For(a.Batch * a.KvHeads, bk =>
        {
            int b = bk / a.KvHeads, hk = bk % a.KvHeads;
            long kvOffset = (long)bk * S * D;
            float* K = (float*)pk + kvOffset;
            float* V = (float*)pv + kvOffset;
            float* dK = pdk == 0 ? null : (float*)pdk + kvOffset;
            float* dV = pdv == 0 ? null : (float*)pdv + kvOffset;
            if (dK != null) new Span<float>(dK, S * D).Clear();
            if (dV != null) new Span<float>(dV, S * D).Clear();
            var scratch = Scratch(2 * QueryBlock * KeyBlock + QueryBlock);
            fixed (float* sc = scratch)
                for (int g = 0; g < a.Group; g++)
                {
                    long bh = (long)b * H + hk * a.Group + g;
                    float* dQ = pdq == 0 ? null : (float*)pdq + bh * T * D;
                    if (dQ != null) new Span<float>(dQ, T * D).Clear();
                    HeadBackward(a, b, (float*)pq + bh * T * D, K, V, (float*)po + bh * T * D, (float*)pl + bh * T,
                        (float*)pdo + bh * T * D, dQ, dK, dV, sc);
                }
        });
    }

    /// <summary>One query head's contribution: dQ (overwritten region of this head) and dK, dV accumulated.</summary>
    private static void HeadBackward(AttentionShape a, int b, float* Q, float* K, float* V, float* O, float* L, float* dO,
        float* dQ, float* dKH, float* dVH, float* sc)
    {
        int T = a.QueryLen, D = a.HeadDim;
        float* P = sc, dP = sc + QueryBlock * KeyBlock, Dvec = dP + QueryBlock * KeyBlock;
        for (int q0 = 0; q0 < T; q0 += QueryBlock)
        {
            int nq = Math.Min(QueryBlock, T - q0);
            int kEnd = Math.Min(a.KeyEnd(q0 + nq - 1), a.ValidEnd(b));
            for (int i = 0; i < nq; i++)
                Dvec[i] = TensorPrimitives.Dot(new ReadOnlySpan<float>(dO + (long)(q0 + i) * D, D), new ReadOnlySpan<float>(O + (long)(q0 + i) * D, D));
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
                Gemm.Sgemm(false, true, nq, nk, D, 1f, dO + (long)q0 * D, D, V + (long)k0 * D, D, 0f, dP, nk);
                if (dVH != null) // dV += P^T dO
                    Gemm.Sgemm(true, false, nk, D, nq, 1f, P, nk, dO + (long)q0 * D, D, 1f, dVH + (long)k0 * D, D);
                for (int i = 0; i < nq; i++)
                {
                    var dpr = new Span<float>(dP + (long)i * nk, nk);
                    TensorPrimitives.Subtract(dpr, Dvec[i], dpr);
                    TensorPrimitives.Multiply(dpr, new ReadOnlySpan<float>(P + (long)i * nk, nk), dpr);
                    TensorPrimitives.Multiply(dpr, a.Scale, dpr);
                }
                if (dQ != null) // dQ += dS K
                    Gemm.Sgemm(false, false, nq, D, nk, 1f, dP, nk, K + (long)k0 * D, D, 1f, dQ + (long)q0 * D, D);
                if (dKH != null) // dK += dS^T Q
                    Gemm.Sgemm(true, false, nk, D, nq, 1f, dP, nk, Q + (long)q0 * D, D, 1f, dKH + (long)k0 * D, D);
            }
        }
    }
}
