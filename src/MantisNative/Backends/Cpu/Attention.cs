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
public sealed record AttentionShape(int Batch, int Heads, int KvHeads, int QueryLen, int KeyLen, int HeadDim, bool Causal, bool[]? KeyValid, float Scale)
{
    public int Group => Heads / KvHeads;

    /// <summary>Keys [0, end) are candidates for query i (causality); padding is checked per key.</summary>
    public int KeyEnd(int i) => Causal ? Math.Min(KeyLen, i + (KeyLen - QueryLen) + 1) : KeyLen;

    public bool Valid(int b, int j) => KeyValid is null || KeyValid[b * KeyLen + j];
}

/// <summary>
/// Scaled-dot-product attention, q [B, Hq, T, D], k/v [B, Hkv, S, D], out [B, Hq, T, D]. Keys are visited
/// block by block with an online softmax (running max and sum), so memory stays linear in the sequence;
/// the backward recomputes probabilities from the saved log-sum-exp. A query row with no visible key
/// outputs zeros.
/// </summary>
public static unsafe class Attention
{
    private const int KeyBlock = 64;
    private const int QueryBlock = 16;

    public static void Forward(AttentionShape a, float* q, float* k, float* v, float* o, float* lse)
    {
        int T = a.QueryLen, S = a.KeyLen, D = a.HeadDim;
        int qBlocks = (T + QueryBlock - 1) / QueryBlock;
        nint pq = (nint)q, pk = (nint)k, pv = (nint)v, po = (nint)o, pl = (nint)lse;
        CpuParallel.For(a.Batch * a.Heads * qBlocks, job =>
        {
            int qb = job % qBlocks, bh = job / qBlocks, h = bh % a.Heads, b = bh / a.Heads;
            int hk = h / a.Group;
            float* K = (float*)pk + ((long)b * a.KvHeads + hk) * S * D;
            float* V = (float*)pv + ((long)b * a.KvHeads + hk) * S * D;
            var scores = new float[KeyBlock];
            for (int i = qb * QueryBlock; i < Math.Min(T, (qb + 1) * QueryBlock); i++)
            {
                long row = ((long)b * a.Heads + h) * T + i;
                var qi = new ReadOnlySpan<float>((float*)pq + row * D, D);
                var oi = new Span<float>((float*)po + row * D, D);
                oi.Clear();
                float m = float.NegativeInfinity, l = 0;
                int end = a.KeyEnd(i);
                for (int j0 = 0; j0 < end; j0 += KeyBlock)
                {
                    int n = Math.Min(KeyBlock, end - j0);
                    float bm = float.NegativeInfinity;
                    for (int jj = 0; jj < n; jj++)
                    {
                        int j = j0 + jj;
                        float s = a.Valid(b, j) ? TensorPrimitives.Dot(qi, new ReadOnlySpan<float>(K + (long)j * D, D)) * a.Scale : float.NegativeInfinity;
                        scores[jj] = s;
                        if (s > bm) bm = s;
                    }
                    if (float.IsNegativeInfinity(bm)) continue;
                    float mNew = Math.Max(m, bm);
                    float corr = MathF.Exp(m - mNew); // 0 when m was -inf
                    if (corr != 1f) TensorPrimitives.Multiply(oi, corr, oi);
                    l *= corr;
                    for (int jj = 0; jj < n; jj++)
                    {
                        if (float.IsNegativeInfinity(scores[jj])) continue;
                        float p = MathF.Exp(scores[jj] - mNew);
                        l += p;
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(V + (long)(j0 + jj) * D, D), p, oi, oi);
                    }
                    m = mNew;
                }
                if (l > 0)
                {
                    TensorPrimitives.Multiply(oi, 1f / l, oi);
                    ((float*)pl)[row] = m + MathF.Log(l);
                }
                else ((float*)pl)[row] = float.NegativeInfinity;
            }
        });
    }

    /// <summary>Gradients; dq, dk, dv may be null when not wanted. dk/dv are overwritten.</summary>
    public static void Backward(AttentionShape a, float* q, float* k, float* v, float* o, float* lse, float* dout, float* dq, float* dk, float* dv)
    {
        int T = a.QueryLen, S = a.KeyLen, D = a.HeadDim, H = a.Heads;
        bool wantKv = dk != null || dv != null;
        // Per query head partial dK/dV, summed over each KV group afterwards: no two threads write one row.
        var dkFull = wantKv ? new float[(long)a.Batch * H * S * D] : null;
        var dvFull = wantKv ? new float[(long)a.Batch * H * S * D] : null;
        nint pq = (nint)q, pk = (nint)k, pv = (nint)v, po = (nint)o, pl = (nint)lse, pdo = (nint)dout, pdq = (nint)dq;
        CpuParallel.For(a.Batch * H, bh =>
        {
            int h = bh % H, b = bh / H, hk = h / a.Group;
            float* K = (float*)pk + ((long)b * a.KvHeads + hk) * S * D;
            float* V = (float*)pv + ((long)b * a.KvHeads + hk) * S * D;
            Span<float> dkH = dkFull is null ? default : dkFull.AsSpan((int)((long)bh * S * D), S * D);
            Span<float> dvH = dvFull is null ? default : dvFull.AsSpan((int)((long)bh * S * D), S * D);
            for (int i = 0; i < T; i++)
            {
                long row = (long)bh * T + i;
                float L = ((float*)pl)[row];
                var qi = new ReadOnlySpan<float>((float*)pq + row * D, D);
                var doi = new ReadOnlySpan<float>((float*)pdo + row * D, D);
                Span<float> dqi = pdq == 0 ? default : new Span<float>((float*)pdq + row * D, D);
                if (pdq != 0) dqi.Clear();
                if (float.IsNegativeInfinity(L)) continue;
                float Di = TensorPrimitives.Dot(doi, new ReadOnlySpan<float>((float*)po + row * D, D));
                int end = a.KeyEnd(i);
                for (int j = 0; j < end; j++)
                {
                    if (!a.Valid(b, j)) continue;
                    var kj = new ReadOnlySpan<float>(K + (long)j * D, D);
                    var vj = new ReadOnlySpan<float>(V + (long)j * D, D);
                    float p = MathF.Exp(TensorPrimitives.Dot(qi, kj) * a.Scale - L);
                    float ds = p * (TensorPrimitives.Dot(doi, vj) - Di) * a.Scale;
                    if (pdq != 0) TensorPrimitives.MultiplyAdd(kj, ds, dqi, dqi);
                    if (dkFull is not null)
                    {
                        var dkj = dkH.Slice(j * D, D);
                        TensorPrimitives.MultiplyAdd(qi, ds, dkj, dkj);
                        var dvj = dvH.Slice(j * D, D);
                        TensorPrimitives.MultiplyAdd(doi, p, dvj, dvj);
                    }
                }
            }
        });
        if (!wantKv) return;
        long kvSize = (long)S * D;
        nint pdk = (nint)dk, pdv = (nint)dv;
        CpuParallel.For(a.Batch * a.KvHeads, bk =>
        {
            int b = bk / a.KvHeads, hk = bk % a.KvHeads;
            var dkOut = pdk == 0 ? default : new Span<float>((float*)pdk + bk * kvSize, (int)kvSize);
            var dvOut = pdv == 0 ? default : new Span<float>((float*)pdv + bk * kvSize, (int)kvSize);
            if (pdk != 0) dkOut.Clear();
            if (pdv != 0) dvOut.Clear();
            for (int g = 0; g < a.Group; g++)
            {
                long src = ((long)b * H + hk * a.Group + g) * kvSize;
                if (pdk != 0) TensorPrimitives.Add(dkOut, dkFull!.AsSpan((int)src, (int)kvSize), dkOut);
                if (pdv != 0) TensorPrimitives.Add(dvOut, dvFull!.AsSpan((int)src, (int)kvSize), dvOut);
            }
        });
    }
}
