using MantisNative.Autograd;
using MantisNative.Backends;
using MantisNative.Tensors;
using AOps = MantisNative.Autograd.Ops;

namespace MantisNative.Diagnostics;

/// <summary>
/// Every op the models use, as checks. Ids, targets, masks and tables are drawn from <paramref name="rng"/>, so each
/// run sees fresh data. Small shapes keep the CPU-on-both-sides test fast; large ones give meaningful timings.
/// </summary>
internal static class OpCases
{
    public static IReadOnlyList<OpCase> Create(Random rng, bool large)
    {
        int T = large ? 1024 : 48, H = large ? 2048 : 96, F = large ? 5632 : 160, V = large ? 32000 : 300;
        int S = large ? 1024 : 40;
        static OpInput I(params int[] s) => new(s);
        var cases = new List<OpCase>
        {
            Linear(T, H, F, bias: true),
            Linear(T, H, F, bias: false),
            // the device adds dW into the fp32 gradient inside the GEMM (beta = 1) and sums db in its epilogue
            Linear(T, H, F, bias: true) with { Name = "linear+bias 2 micro-batches", MicroBatches = 2 },
            new("matmul batched b^T", new[] { I(4, T, 64), I(4, T, 64) }, x => AOps.MatMul(x[0], x[1], transB: true)) { Flops = 2L * 4 * T * T * 64 },
            new("matmul shared b", new[] { I(2, T, H), I(H, 256) }, x => AOps.MatMul(x[0], x[1])) { Flops = 2L * 2 * T * H * 256 },
            Add(T, H),
            AddBroadcast(T, H),
            new("mul broadcast", new[] { I(T, H), I(H) }, x => AOps.Mul(x[0], x[1])),
            new("mul", new[] { I(T, H), I(T, H) }, x => AOps.Mul(x[0], x[1])),
            Scale(T, H, 0.37f),
            Sum(T, H),
            // offset values: a mean of zero-mean values cancels, and its relative error says nothing about the kernel
            new("mean", new[] { new OpInput(new[] { T, H }, 1f, Offset: 2f) }, x => AOps.Mean(x[0])) { ForwardTolerance = Tolerances.Fp32Result },
            RmsNorm(T, H),
            LayerNorm(T, H),
            Gelu(GeluKind.Erf, T, F),
            Gelu(GeluKind.Tanh, T, F),
            Gelu(GeluKind.Quick, T, F),
            Silu(T, F),
            SwiGlu(T, F),
            Softmax(T, 2 * H),
            Rope(Enumerable.Range(0, T).ToArray(), heads: 4, dim: 64, theta: 10000),
            Attention("attention causal gqa d64", 1, 8, 2, T, T, 64, causal: true, null),
            Attention("attention bidir mask d16", 2, 4, 2, 20, 20, 16, causal: false, KeyLengthMask(20, 20, 13)),
            Attention("attention decode d128", 1, 8, 8, 1, S, 128, causal: true, null),
            // the sm_80 kernel's other tile shapes: head dim 72 (4 k16 steps + 1 k8, 9 n-tiles), 80 and 96, odd lengths,
            // cross attention (bottom-right causal), a grouped decode with a padded cache
            Attention("attention bidir d72", 2, 4, 4, 37, 37, 72, causal: false, null),
            Attention("attention causal cross gqa d96", 1, 4, 2, 9, 70, 96, causal: true, null),
            Attention("attention decode gqa mask d80", 2, 8, 2, 1, 90, 80, causal: true,
                Enumerable.Range(0, 180).Select(i => i % 90 < (i < 90 ? 90 : 61) && i % 11 != 4).ToArray()),
            // token-major, as the models call it ([B, T, H, D] straight from the projections): every path reads it in place
            Attention("attention bthd causal gqa mask d64", 2, 4, 2, 33, 33, 64, causal: true, KeyLengthMask(33, 33, 21), AttentionLayout.TokenMajor),
            Attention("attention bthd bidir d72", 2, 4, 4, 29, 29, 72, causal: false, null, AttentionLayout.TokenMajor),
            Attention("attention bthd decode gqa d128", 2, 8, 2, 1, 70, 128, causal: true, KeyLengthMask(70, 70, 45), AttentionLayout.TokenMajor),
            Embedding(V, H, Enumerable.Range(0, T).Select(i => i % 5 == 0 ? 3 : rng.Next(V)).ToArray()),
            new("patch_embed", new[] { new OpInput(new[] { 2, 3, 32, 32 }, 1f, Grad: false), I(64, 3, 8, 8), I(64) },
                x => AOps.PatchEmbed(x[0], x[1], x[2])) { Flops = 2L * 2 * 16 * 64 * 3 * 64 },
            CrossEntropy(V, Enumerable.Range(0, T).Select(r => r % 7 == 3 ? AOps.IgnoreIndex : rng.Next(V)).ToArray()),
            LinearCrossEntropy(rng, T, large ? H : 16, V),
            new("reshape", new[] { I(T, H) }, x => AOps.Reshape(x[0], H, T)) { ForwardTolerance = Tolerances.Exact, BackwardTolerance = Tolerances.Exact },
            Permute(new[] { 2, T, 4, 16 }, 0, 2, 1, 3),
            new("transpose", new[] { I(T, H) }, x => AOps.Transpose(x[0], 0, 1)) { ForwardTolerance = Tolerances.Exact, BackwardTolerance = Tolerances.Exact },
            Slice(new[] { T, H }, 1, 5, H / 2),
            new("concat", new[] { I(T, H), I(T / 2, H) }, x => AOps.Concat(new[] { x[0], x[1] }, 0)) { ForwardTolerance = Tolerances.Exact, BackwardTolerance = Tolerances.Exact },
            IndexSelect(rng, T, H),
        };
        return cases;
    }

    // One factory per op family that `mantis kernels check` also runs at its own shapes: the case (inputs, the CPU
    // reference, the tolerances) is written once here and both checkers read it.

    public static OpCase Linear(int rows, int inFeatures, int outFeatures, bool bias) => bias
        ? new("linear+bias", new OpInput[] { new(new[] { rows, inFeatures }), new(new[] { outFeatures, inFeatures }), new(new[] { outFeatures }) },
            x => AOps.Linear(x[0], x[1], x[2])) { Flops = 2L * rows * inFeatures * outFeatures }
        : new("linear", new OpInput[] { new(new[] { rows, inFeatures }), new(new[] { outFeatures, inFeatures }) },
            x => AOps.Linear(x[0], x[1])) { Flops = 2L * rows * inFeatures * outFeatures };

    public static OpCase Add(int rows, int cols) =>
        new("add", new OpInput[] { new(new[] { rows, cols }), new(new[] { rows, cols }) }, x => AOps.Add(x[0], x[1]));

    public static OpCase AddBroadcast(int rows, int cols) =>
        new("add broadcast", new OpInput[] { new(new[] { rows, cols }), new(new[] { cols }) }, x => AOps.Add(x[0], x[1]));

    public static OpCase Scale(int rows, int cols, float s) =>
        new("scale", new[] { new OpInput(new[] { rows, cols }) }, x => AOps.Scale(x[0], s));

    /// <summary>Offset values: a sum of zero-mean values cancels, and its relative error says nothing about the kernel.</summary>
    public static OpCase Sum(int rows, int cols) =>
        new("sum", new[] { new OpInput(new[] { rows, cols }, 1f, Offset: 2f) }, x => AOps.Sum(x[0])) { ForwardTolerance = Tolerances.Fp32Result };

    public static OpCase RmsNorm(int rows, int dim) =>
        new("rmsnorm", new[] { new OpInput(new[] { rows, dim }, 2f), new OpInput(new[] { dim }) }, x => AOps.RmsNorm(x[0], x[1], RmsNormEps));

    public const float RmsNormEps = 1e-5f, LayerNormEps = 1e-6f;

    public static OpCase LayerNorm(int rows, int dim) =>
        new("layernorm", new[] { new OpInput(new[] { rows, dim }, 3f, Offset: 0.5f), new OpInput(new[] { dim }), new OpInput(new[] { dim }) },
            x => AOps.LayerNorm(x[0], x[1], x[2], LayerNormEps));

    public static OpCase Gelu(GeluKind kind, int rows, int cols) =>
        new($"gelu {kind.ToString().ToLowerInvariant()}", new[] { new OpInput(new[] { rows, cols }, 3f) }, x => AOps.Gelu(x[0], kind));

    public static OpCase Silu(int rows, int cols) =>
        new("silu", new[] { new OpInput(new[] { rows, cols }, 3f) }, x => AOps.Silu(x[0]));

    public static OpCase SwiGlu(int rows, int cols) =>
        new("swiglu", new[] { new OpInput(new[] { rows, cols }, 3f), new OpInput(new[] { rows, cols }) }, x => AOps.SwiGlu(x[0], x[1]));

    /// <summary>Softmax over the last dimension; a <paramref name="scale"/> other than 1 is applied first (the kernel's fused scale).</summary>
    public static OpCase Softmax(int rows, int cols, float scale = 1f) =>
        new(scale == 1f ? "softmax" : $"softmax scale {scale}", new[] { new OpInput(new[] { rows, cols }, 4f) },
            x => AOps.Softmax(scale == 1f ? x[0] : AOps.Scale(x[0], scale)));

    /// <summary>x [1, tokens, heads, dim] rotated by the position of each token (the tables of <see cref="RopeTables"/>).</summary>
    public static OpCase Rope(int[] positions, int heads, int dim, double theta)
    {
        var (cos, sin) = RopeTables.Tables(RopeTables.InverseFrequencies(dim, theta), positions);
        return new OpCase("rope", new[] { new OpInput(new[] { 1, positions.Length, heads, dim }) }, x => AOps.Rope(x[0], cos, sin));
    }

    /// <summary>q [b, h, t, d], k and v [b, hkv, s, d], or token-major (the models' layout) q [b, t, h, d], k and v
    /// [b, s, hkv, d]; keyValid [b * s] (false: a padded key) or null.</summary>
    public static OpCase Attention(string name, int b, int h, int hkv, int t, int s, int d, bool causal, bool[]? keyValid,
        AttentionLayout layout = AttentionLayout.HeadMajor)
    {
        bool tm = layout == AttentionLayout.TokenMajor;
        int[] Shape(int heads, int tokens) => tm ? new[] { b, tokens, heads, d } : new[] { b, heads, tokens, d };
        return new(name, new[] { new OpInput(Shape(h, t)), new OpInput(Shape(hkv, s)), new OpInput(Shape(hkv, s)) },
            x => AOps.Attention(x[0], x[1], x[2], causal, keyValid, layout: layout))
        {
            Flops = 4L * b * h * t * s * d / (causal && t == s ? 2 : 1),
            BackwardTolerance = Tolerances.AttentionGrad,
        };
    }

    /// <summary>A [batch, keys] mask where batch row i keeps its first lengths[i] keys.</summary>
    public static bool[] KeyLengthMask(int keys, params int[] lengths) =>
        lengths.SelectMany(n => Enumerable.Range(0, keys).Select(j => j < n)).ToArray();

    /// <summary>The table gathered (exact) and scattered back (fp32 adds of repeated ids).</summary>
    public static OpCase Embedding(int vocab, int dim, int[] ids) =>
        new("embedding", new[] { new OpInput(new[] { vocab, dim }) }, x => AOps.Embedding(x[0], ids))
        {
            ForwardTolerance = Tolerances.Exact,
        };

    /// <summary>The fused LM head + loss, hidden [rows, dim] and weight [vocab, dim] both trained, in chunks of 16 rows
    /// (small: several chunks and a partial one; large: 1024 rows of a 32k vocabulary, 3 chunks under the default budget).
    /// Small uses dim 16: a random direction over a 96-wide dot moves every logit by ~0.1 at the gradient check's step,
    /// and the central difference's third-order term alone is then ~1 % of the weight's directional derivative.</summary>
    private static OpCase LinearCrossEntropy(Random rng, int rows, int dim, int vocab)
    {
        var targets = Enumerable.Range(0, rows).Select(r => r % 7 == 3 ? AOps.IgnoreIndex : rng.Next(vocab)).ToArray();
        int chunk = rows <= 64 ? 16 : 0;
        return new OpCase("linear_cross_entropy", new[] { new OpInput(new[] { rows, dim }), new OpInput(new[] { vocab, dim }, 0.5f) },
            x => AOps.LinearCrossEntropy(x[0], x[1], targets, chunkRows: chunk))
        {
            ForwardTolerance = Tolerances.Fp32Result,
            Flops = 2L * rows * dim * vocab,
        };
    }

    public static OpCase CrossEntropy(int vocab, int[] targets) =>
        new("cross_entropy", new[] { new OpInput(new[] { targets.Length, vocab }, 4f) }, x => AOps.CrossEntropy(x[0], targets))
        {
            ForwardTolerance = Tolerances.Fp32Result,
        };

    public static OpCase Permute(int[] shape, params int[] perm) =>
        new("permute", new[] { new OpInput(shape) }, x => AOps.Permute(x[0], perm)) { ForwardTolerance = Tolerances.Exact, BackwardTolerance = Tolerances.Exact };

    public static OpCase Slice(int[] shape, int dim, int start, int length) =>
        new("slice", new[] { new OpInput(shape) }, x => AOps.Slice(x[0], dim, start, length)) { ForwardTolerance = Tolerances.Exact, BackwardTolerance = Tolerances.Exact };

    private static OpCase IndexSelect(Random rng, int rows, int dim)
    {
        var idx = Enumerable.Range(0, rows + 7).Select(i => i % 4 == 0 ? 1 : rng.Next(rows)).ToArray();
        return new OpCase("index_select", new[] { new OpInput(new[] { rows, dim }) }, x => AOps.IndexSelect(x[0], idx)) { ForwardTolerance = Tolerances.Exact };
    }
}
