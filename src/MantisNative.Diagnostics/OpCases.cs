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
            new("linear+bias", new[] { I(T, H), I(F, H), I(F) }, x => AOps.Linear(x[0], x[1], x[2])) { Flops = 2L * T * H * F },
            new("linear", new[] { I(T, H), I(F, H) }, x => AOps.Linear(x[0], x[1])) { Flops = 2L * T * H * F },
            new("matmul batched b^T", new[] { I(4, T, 64), I(4, T, 64) }, x => AOps.MatMul(x[0], x[1], transB: true)) { Flops = 2L * 4 * T * T * 64 },
            new("matmul shared b", new[] { I(2, T, H), I(H, 256) }, x => AOps.MatMul(x[0], x[1])) { Flops = 2L * 2 * T * H * 256 },
            new("add", new[] { I(T, H), I(T, H) }, x => AOps.Add(x[0], x[1])),
            new("add broadcast", new[] { I(T, H), I(H) }, x => AOps.Add(x[0], x[1])),
            new("mul broadcast", new[] { I(T, H), I(H) }, x => AOps.Mul(x[0], x[1])),
            new("mul", new[] { I(T, H), I(T, H) }, x => AOps.Mul(x[0], x[1])),
            new("scale", new[] { I(T, H) }, x => AOps.Scale(x[0], 0.37f)),
            // offset values: a sum of zero-mean values cancels, and its relative error says nothing about the kernel
            new("sum", new[] { new OpInput(new[] { T, H }, 1f, Offset: 2f) }, x => AOps.Sum(x[0])) { Fp32Output = true },
            new("mean", new[] { new OpInput(new[] { T, H }, 1f, Offset: 2f) }, x => AOps.Mean(x[0])) { Fp32Output = true },
            new("rmsnorm", new[] { new OpInput(new[] { T, H }, 2f), I(H) }, x => AOps.RmsNorm(x[0], x[1], 1e-5f)),
            new("layernorm", new[] { new OpInput(new[] { T, H }, 3f), I(H), I(H) }, x => AOps.LayerNorm(x[0], x[1], x[2], 1e-6f)),
            new("gelu erf", new[] { new OpInput(new[] { T, F }, 3f) }, x => AOps.Gelu(x[0], GeluKind.Erf)),
            new("gelu tanh", new[] { new OpInput(new[] { T, F }, 3f) }, x => AOps.Gelu(x[0], GeluKind.Tanh)),
            new("gelu quick", new[] { new OpInput(new[] { T, F }, 3f) }, x => AOps.Gelu(x[0], GeluKind.Quick)),
            new("silu", new[] { new OpInput(new[] { T, F }, 3f) }, x => AOps.Silu(x[0])),
            new("swiglu", new[] { new OpInput(new[] { T, F }, 3f), I(T, F) }, x => AOps.SwiGlu(x[0], x[1])),
            new("softmax", new[] { new OpInput(new[] { T, 2 * H }, 4f) }, x => AOps.Softmax(x[0])),
            Rope(T),
            Attention("attention causal gqa d64", 1, 8, 2, T, T, 64, causal: true, null),
            Attention("attention bidir mask d16", 2, 4, 2, 20, 20, 16, causal: false,
                Enumerable.Range(0, 40).Select(i => i % 20 < (i < 20 ? 20 : 13)).ToArray()),
            Attention("attention decode d128", 1, 8, 8, 1, S, 128, causal: true, null),
            // head dims of the sm_90a forward (flash_attention_sm90.cu, taken on compute capability 9.0) beyond d64
            Attention("attention bidir gqa d72", 2, 4, 2, 33, 33, 72, causal: false, null),
            Attention("attention causal mask d80", 1, 4, 4, 20, 37, 80, causal: true, Enumerable.Range(0, 37).Select(i => i % 5 != 2).ToArray()),
            Embedding(rng, V, H, T),
            new("patch_embed", new[] { new OpInput(new[] { 2, 3, 32, 32 }, 1f, Grad: false), I(64, 3, 8, 8), I(64) },
                x => AOps.PatchEmbed(x[0], x[1], x[2])) { Flops = 2L * 2 * 16 * 64 * 3 * 64 },
            CrossEntropy(rng, T, V),
            new("reshape", new[] { I(T, H) }, x => AOps.Reshape(x[0], H, T)),
            new("permute", new[] { I(2, T, 4, 16) }, x => AOps.Permute(x[0], 0, 2, 1, 3)),
            new("transpose", new[] { I(T, H) }, x => AOps.Transpose(x[0], 0, 1)),
            new("slice", new[] { I(T, H) }, x => AOps.Slice(x[0], 1, 5, H / 2)),
            new("concat", new[] { I(T, H), I(T / 2, H) }, x => AOps.Concat(new[] { x[0], x[1] }, 0)),
            IndexSelect(rng, T, H),
        };
        return cases;
    }

    private static OpCase Rope(int T)
    {
        int heads = 4, dim = 64, half = dim / 2;
        var cos = new float[T * half];
        var sin = new float[T * half];
        for (int p = 0; p < T; p++)
            for (int k = 0; k < half; k++)
            {
                double theta = p * Math.Pow(10000.0, -2.0 * k / dim);
                cos[p * half + k] = (float)Math.Cos(theta);
                sin[p * half + k] = (float)Math.Sin(theta);
            }
        return new OpCase("rope", new[] { new OpInput(new[] { 1, T, heads, dim }) }, x => AOps.Rope(x[0], cos, sin));
    }

    private static OpCase Attention(string name, int b, int h, int hkv, int t, int s, int d, bool causal, bool[]? keyValid) =>
        new(name, new[] { new OpInput(new[] { b, h, t, d }), new OpInput(new[] { b, hkv, s, d }), new OpInput(new[] { b, hkv, s, d }) },
            x => AOps.Attention(x[0], x[1], x[2], causal, keyValid))
        {
            Flops = 4L * b * h * t * s * d / (causal && t == s ? 2 : 1),
            BackwardTolerance = 2e-2,
        };

    private static OpCase Embedding(Random rng, int vocab, int dim, int tokens)
    {
        var ids = Enumerable.Range(0, tokens).Select(i => i % 5 == 0 ? 3 : rng.Next(vocab)).ToArray();
        return new OpCase("embedding", new[] { new OpInput(new[] { vocab, dim }) }, x => AOps.Embedding(x[0], ids));
    }

    private static OpCase IndexSelect(Random rng, int rows, int dim)
    {
        var idx = Enumerable.Range(0, rows + 7).Select(i => i % 4 == 0 ? 1 : rng.Next(rows)).ToArray();
        return new OpCase("index_select", new[] { new OpInput(new[] { rows, dim }) }, x => AOps.IndexSelect(x[0], idx));
    }

    private static OpCase CrossEntropy(Random rng, int rows, int vocab)
    {
        var targets = Enumerable.Range(0, rows).Select(r => r % 7 == 3 ? AOps.IgnoreIndex : rng.Next(vocab)).ToArray();
        return new OpCase("cross_entropy", new[] { new OpInput(new[] { rows, vocab }, 4f) }, x => AOps.CrossEntropy(x[0], targets))
        {
            Fp32Output = true,
        };
    }
}
