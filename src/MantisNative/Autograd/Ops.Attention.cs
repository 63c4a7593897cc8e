using MantisNative.Backends;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Scaled-dot-product attention: q [B, Hq, T, D], k and v [B, Hkv, S, D] (Hq a multiple of Hkv), or with
    /// <see cref="AttentionLayout.TokenMajor"/> q [B, T, Hq, D], k and v [B, S, Hkv, D] (the projections' output
    /// reshaped: no permute copy); causal or bidirectional, with an optional [B, S] key padding mask (U8 or Bool on
    /// the op's device, 0 = padded; see <see cref="KeyMask"/>). Returns [B, Hq, T, D], or [B, T, Hq, D] token-major.
    /// Both layouts compute the same numbers.
    /// </summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, bool causal, Tensor? keyValid = null, float? scale = null,
        AttentionLayout layout = AttentionLayout.HeadMajor)
    {
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4) throw new ArgumentException($"Attention needs rank-4 q, k, v; got {q.Shape}, {k.Shape}, {v.Shape}");
        bool tokenMajor = layout == AttentionLayout.TokenMajor;
        int headAxis = tokenMajor ? 2 : 1, tokenAxis = tokenMajor ? 1 : 2;
        int B = q.Dim(0), H = q.Dim(headAxis), T = q.Dim(tokenAxis), D = q.Dim(3), Hkv = k.Dim(headAxis), S = k.Dim(tokenAxis);
        if (k.Dim(0) != B || !k.Shape.Equals(v.Shape) || k.Dim(3) != D || Hkv == 0 || H % Hkv != 0 || S < T && causal)
            throw new ArgumentException($"Attention ({layout}): incompatible q {q.Shape}, k {k.Shape}, v {v.Shape}");
        if (keyValid is not null && (keyValid.Numel != (long)B * S || keyValid.DType.SizeOf() != 1))
            throw new ArgumentException($"Attention: key mask {keyValid.DType} {keyValid.Shape} is not a byte mask of {B}x{S}");
        var be = On("Attention", q, k, v);
        RequireSameDevice("Attention", q, keyValid);
        var geo = new AttentionGeometry(B, H, Hkv, T, S, D, causal, scale ?? 1f / MathF.Sqrt(D), tokenMajor);
        var (o, lse) = be.AttentionForward(q, k, v, keyValid, geo);
        if (!Tape.Needs(q, k, v)) { lse.Dispose(); return o; }
        Tape.Record(o, g =>
        {
            var (gq, gk, gv) = be.AttentionBackward(g, q, k, v, o, lse, keyValid, geo, q.RequiresGrad, k.RequiresGrad, v.RequiresGrad);
            Accumulate(q, gq);
            Accumulate(k, gk);
            Accumulate(v, gv);
            lse.Dispose();
        });
        return o;
    }

    /// <summary>Attention with a host key mask (false = padded): places the mask on q's device for this one call.</summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, bool causal, bool[]? keyValid, float? scale = null,
        AttentionLayout layout = AttentionLayout.HeadMajor)
    {
        if (keyValid is null) return Attention(q, k, v, causal, (Tensor?)null, scale, layout);
        var mask = KeyMask(keyValid, q.Dim(0), k.Dim(layout == AttentionLayout.TokenMajor ? 1 : 2), q.Device);
        var o = Attention(q, k, v, causal, mask, scale, layout);
        if (!Tape.Needs(q, k, v)) mask.Dispose();   // else the backward reads it: it goes with the activations
        return o;
    }

    /// <summary>A [batch, keys] U8 key mask (1 = attended) on <paramref name="device"/>: build it once per forward, use it in every layer.</summary>
    public static Tensor KeyMask(bool[] keyValid, int batch, int keys, Device device)
    {
        if (keyValid.Length != (long)batch * keys) throw new ArgumentException($"Attention: key mask has {keyValid.Length} entries, expected {batch}x{keys}");
        var bytes = new byte[keyValid.Length];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = keyValid[i] ? (byte)1 : (byte)0;
        var host = Tensor.FromBytes(bytes, DType.U8, new Shape(batch, keys));
        if (device.IsCpu) return host;
        using (host) return host.To(device, DType.U8);
    }

    /// <summary>
    /// Rotary embedding of x [..., tokens, heads, headDim]: every token row uses its own position's cos/sin (F32 tables
    /// [rows, headDim/2] on x's device from <see cref="RopeTables"/>, one row per token of the flattened leading dims).
    /// </summary>
    public static Tensor Rope(Tensor x, Tensor cos, Tensor sin)
    {
        int dim = x.Dim(-1), heads = x.Dim(-2);
        int tokens = checked((int)(x.Numel / ((long)dim * heads)));
        if (cos.Numel != (long)tokens * (dim / 2) || !cos.Shape.Equals(sin.Shape))
            throw new ArgumentException($"Rope: tables {cos.Shape} and {sin.Shape} for a tensor {x.Shape} of {tokens} tokens");
        return RopeRows(x, cos, sin, tokens);
    }

    /// <summary>
    /// Rotary embedding of x [batch, seq, heads, headDim] whose positions are 0..seq-1 in every sequence, from tables by
    /// position (F32 [rows >= seq, headDim/2], row p for position p): a decoder's tables made once on its device
    /// (<see cref="RopePositionTables"/>), so a step neither computes nor uploads any.
    /// </summary>
    public static Tensor RopeByPosition(Tensor x, Tensor cos, Tensor sin)
    {
        int dim = x.Dim(-1), seq = x.Dim(-3);
        if (x.Rank != 4 || cos.Rank != 2 || cos.Dim(0) < seq || cos.Dim(1) != dim / 2 || !cos.Shape.Equals(sin.Shape))
            throw new ArgumentException($"Rope: tables by position {cos.Shape} and {sin.Shape} for a tensor {x.Shape} (need [batch, seq, heads, dim] and at least seq rows of dim/2)");
        return RopeRows(x, cos, sin, seq);
    }

    private static Tensor RopeRows(Tensor x, Tensor cos, Tensor sin, int period)
    {
        var be = On("Rope", x, cos, sin);
        var y = be.RopeForward(x, cos, sin, period);
        if (Tape.Needs(x)) Tape.Record(y, g => Accumulate(x, be.RopeBackward(g, cos, sin, period)));
        return y;
    }

    /// <summary>Rope with host tables (as <see cref="RopeTables.Tables"/> returns them): placed on x's device for this call.</summary>
    public static Tensor Rope(Tensor x, float[] cos, float[] sin)
    {
        int half = x.Dim(-1) / 2;
        if (half == 0 || cos.Length % half != 0 || sin.Length != cos.Length)
            throw new ArgumentException($"Rope: tables of {cos.Length} and {sin.Length} values do not fit head dim {x.Dim(-1)}");
        var c = RopeTables.Place(cos, cos.Length / half, half, x.Device);
        var s = RopeTables.Place(sin, sin.Length / half, half, x.Device);
        var y = Rope(x, c, s);
        if (!Tape.Needs(x)) { c.Dispose(); s.Dispose(); }   // else the backward reads them
        return y;
    }
}
