namespace MantisNative.Backends.Cpu;

/// <summary>
/// SIMD (TensorPrimitives) forms of the pointwise activations and their derivatives, processed in cache-sized
/// chunks in parallel. fp32 throughout: TensorPrimitives' Exp/Tanh/Sigmoid are accurate to a few ulps, far inside
/// the fp32 tolerance of the ops. GELU-erf uses <see cref="VectorErf"/> (.NET has no vector erf).
/// </summary>
internal static unsafe class VectorActivations
{
    private const int Chunk = 4096;
    private const float SqrtTwoOverPi = 0.7978845608028654f;
    private const float GeluC = 0.044715f;

    /// <summary>Runs body(offset, length, scratchA, scratchB) over [0, n) in parallel chunks.</summary>
    private static void Chunks(long n, Action<long, int, float[], float[]> body)
    {
        int chunks = (int)((n + Chunk - 1) / Chunk);
        int per = Math.Max(1, chunks / (CpuParallel.Threads * 4));
        CpuParallel.For((chunks + per - 1) / per, c =>
        {
            var a = new float[Chunk];
            var b = new float[Chunk];
            for (int k = c * per; k < Math.Min(chunks, (c + 1) * per); k++)
            {
                long s = (long)k * Chunk;
                body(s, (int)Math.Min(Chunk, n - s), a, b);
            }
        });
    }

    private static Span<float> S(nint p, long off, int len) => new((float*)p + off, len);

    /// <summary>y = x * sigmoid(alpha x) (SiLU for alpha 1, quick GELU for alpha 1.702).</summary>
    public static void SigmoidGate(float* x, float* y, long n, float alpha)
    {
        nint px = (nint)x, py = (nint)y;
        Chunks(n, (o, len, s, _) =>
        {
            var xs = S(px, o, len); var sig = s.AsSpan(0, len);
            TensorPrimitives.Multiply(xs, alpha, sig);
            Sigmoid(sig, sig);
            TensorPrimitives.Multiply(xs, sig, S(py, o, len));
        });
    }

    /// <summary>dx = g * (s + alpha x s (1 - s)), s = sigmoid(alpha x).</summary>
    public static void SigmoidGateBackward(float* x, float* g, float* dx, long n, float alpha)
    {
        nint px = (nint)x, pg = (nint)g, pd = (nint)dx;
        Chunks(n, (o, len, s, t) =>
        {
            var xs = S(px, o, len); var sig = s.AsSpan(0, len); var tmp = t.AsSpan(0, len); var d = S(pd, o, len);
            TensorPrimitives.Multiply(xs, alpha, sig);
            Sigmoid(sig, sig);
            TensorPrimitives.Subtract(1f, sig, tmp);                 // 1 - s
            TensorPrimitives.Multiply(tmp, xs, tmp);                 // x (1 - s)
            TensorPrimitives.Multiply(tmp, alpha, tmp);
            TensorPrimitives.Add(tmp, 1f, tmp);                      // 1 + alpha x (1 - s)
            TensorPrimitives.Multiply(tmp, sig, tmp);                // s (1 + alpha x (1 - s))
            TensorPrimitives.Multiply(tmp, S(pg, o, len), d);
        });
    }

    /// <summary>GELU, tanh approximation.</summary>
    public static void GeluTanh(float* x, float* y, long n)
    {
        nint px = (nint)x, py = (nint)y;
        Chunks(n, (o, len, s, _) =>
        {
            var xs = S(px, o, len); var t = s.AsSpan(0, len);
            TanhPart(xs, t);
            TensorPrimitives.Add(t, 1f, t);
            TensorPrimitives.Multiply(t, xs, t);
            TensorPrimitives.Multiply(t, 0.5f, S(py, o, len));
        });
    }

    /// <summary>t = tanh(sqrt(2/pi) (x + 0.044715 x^3)).</summary>
    private static void TanhPart(ReadOnlySpan<float> xs, Span<float> t)
    {
        TensorPrimitives.Multiply(xs, xs, t);
        TensorPrimitives.Multiply(t, GeluC, t);
        TensorPrimitives.Add(t, 1f, t);
        TensorPrimitives.Multiply(t, xs, t);
        TensorPrimitives.Multiply(t, SqrtTwoOverPi, t);
        // tanh(u) = 1 - 2 / (exp(2u) + 1): SIMD exp is several times faster than TensorPrimitives.Tanh here;
        // the absolute error stays ~1e-7, and GELU uses 1 + t and 1 - t^2, where that is below fp32 resolution
        TensorPrimitives.Multiply(t, 2f, t);
        TensorPrimitives.Exp(t, t);
        TensorPrimitives.Add(t, 1f, t);
        TensorPrimitives.Divide(-2f, t, t);
        TensorPrimitives.Add(t, 1f, t);
    }

    /// <summary>1 / (1 + exp(-x)) through the vectorised exp (TensorPrimitives.Sigmoid is not vectorised in this version).</summary>
    private static void Sigmoid(ReadOnlySpan<float> x, Span<float> dst)
    {
        TensorPrimitives.Negate(x, dst);
        TensorPrimitives.Exp(dst, dst);
        TensorPrimitives.Add(dst, 1f, dst);
        TensorPrimitives.Divide(1f, dst, dst);
    }

    /// <summary>dx = g * (0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 c x^2)).</summary>
    public static void GeluTanhBackward(float* x, float* g, float* dx, long n)
    {
        nint px = (nint)x, pg = (nint)g, pd = (nint)dx;
        Chunks(n, (o, len, s, u) =>
        {
            var xs = S(px, o, len); var t = s.AsSpan(0, len); var a = u.AsSpan(0, len); var d = S(pd, o, len);
            TanhPart(xs, t);
            TensorPrimitives.Multiply(xs, xs, a);
            TensorPrimitives.Multiply(a, 3 * GeluC, a);
            TensorPrimitives.Add(a, 1f, a);                        // 1 + 3 c x^2
            TensorPrimitives.Multiply(a, xs, a);
            TensorPrimitives.Multiply(a, 0.5f * SqrtTwoOverPi, a);  // 0.5 x sqrt(2/pi) (1 + 3 c x^2)
            TensorPrimitives.Multiply(t, t, d);
            TensorPrimitives.Subtract(1f, d, d);                   // 1 - t^2
            TensorPrimitives.Multiply(d, a, d);
            TensorPrimitives.MultiplyAdd(t, 0.5f, d, d);           // + 0.5 t
            TensorPrimitives.Add(d, 0.5f, d);                      // + 0.5
            TensorPrimitives.Multiply(d, S(pg, o, len), d);
        });
    }

    private const float InvSqrt2 = 0.70710678118654752f;
    private const float InvSqrt2Pi = 0.39894228040143268f;

    /// <summary>Exact GELU: y = 0.5 x (1 + erf(x / sqrt 2)).</summary>
    public static void GeluErf(float* x, float* y, long n)
    {
        nint px = (nint)x, py = (nint)y;
        Chunks(n, (o, len, s, _) =>
        {
            var xs = S(px, o, len); var e = s.AsSpan(0, len);
            VectorErf.Compute(xs, e, InvSqrt2);
            TensorPrimitives.Add(e, 1f, e);
            TensorPrimitives.Multiply(e, xs, e);
            TensorPrimitives.Multiply(e, 0.5f, S(py, o, len));
        });
    }

    /// <summary>dx = g * (0.5 (1 + erf(x / sqrt 2)) + x exp(-x^2 / 2) / sqrt(2 pi)).</summary>
    public static void GeluErfBackward(float* x, float* g, float* dx, long n)
    {
        nint px = (nint)x, pg = (nint)g, pd = (nint)dx;
        Chunks(n, (o, len, s, u) =>
        {
            var xs = S(px, o, len); var e = s.AsSpan(0, len); var a = u.AsSpan(0, len); var d = S(pd, o, len);
            TensorPrimitives.Multiply(xs, xs, a);
            TensorPrimitives.Multiply(a, -0.5f, a);
            TensorPrimitives.Exp(a, a);                            // exp(-x^2 / 2)
            TensorPrimitives.Multiply(a, xs, a);
            TensorPrimitives.Multiply(a, InvSqrt2Pi, a);           // x phi(x)
            VectorErf.Compute(xs, e, InvSqrt2);
            TensorPrimitives.MultiplyAdd(e, 0.5f, a, a);           // + 0.5 erf
            TensorPrimitives.Add(a, 0.5f, a);                      // + 0.5
            TensorPrimitives.Multiply(a, S(pg, o, len), d);
        });
    }

    /// <summary>y = silu(gate) * up.</summary>
    public static void SwiGlu(float* gate, float* up, float* y, long n)
    {
        nint pg = (nint)gate, pu = (nint)up, py = (nint)y;
        Chunks(n, (o, len, s, _) =>
        {
            var g = S(pg, o, len); var sig = s.AsSpan(0, len); var ys = S(py, o, len);
            Sigmoid(g, sig);
            TensorPrimitives.Multiply(g, sig, ys);
            TensorPrimitives.Multiply(ys, S(pu, o, len), ys);
        });
    }

    /// <summary>dgate = d * up * s (1 + gate (1 - s)); dup = d * gate * s. Either output may be null.</summary>
    public static void SwiGluBackward(float* gate, float* up, float* d, float* dgate, float* dup, long n)
    {
        nint pg = (nint)gate, pu = (nint)up, pd = (nint)d, pdg = (nint)dgate, pdu = (nint)dup;
        Chunks(n, (o, len, s, t) =>
        {
            var g = S(pg, o, len); var sig = s.AsSpan(0, len); var tmp = t.AsSpan(0, len); var ds = S(pd, o, len);
            Sigmoid(g, sig);
            if (pdu != 0)
            {
                TensorPrimitives.Multiply(g, sig, tmp);
                TensorPrimitives.Multiply(tmp, ds, S(pdu, o, len));
            }
            if (pdg != 0)
            {
                TensorPrimitives.Subtract(1f, sig, tmp);
                TensorPrimitives.Multiply(tmp, g, tmp);
                TensorPrimitives.Add(tmp, 1f, tmp);
                TensorPrimitives.Multiply(tmp, sig, tmp);
                TensorPrimitives.Multiply(tmp, S(pu, o, len), tmp);
                TensorPrimitives.Multiply(tmp, ds, S(pdg, o, len));
            }
        });
    }
}
