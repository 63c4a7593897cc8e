using MantisNative.Tensors;

namespace MantisNative.Inference;

/// <summary>Chooses the next token from last-position logits: greedy, or temperature + nucleus (top-p) sampling.</summary>
public sealed class TokenSampler
{
    private readonly GenerationOptions _o;
    private readonly Rng _rng;

    public TokenSampler(GenerationOptions options)
    {
        _o = options;
        _rng = new Rng(options.Seed);
    }

    public int Next(ReadOnlySpan<float> logits)
    {
        if (_o.Temperature <= 0) return ArgMax(logits);
        var probs = new double[logits.Length];
        double max = double.NegativeInfinity;
        for (int i = 0; i < logits.Length; i++) max = Math.Max(max, logits[i] / _o.Temperature);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += probs[i] = Math.Exp(logits[i] / _o.Temperature - max);
        var order = Enumerable.Range(0, logits.Length).OrderByDescending(i => probs[i]).ThenBy(i => i).ToArray();
        // nucleus: the smallest prefix whose mass reaches top_p (always at least one token)
        double kept = 0;
        int n = 0;
        while (n < order.Length && (n == 0 || kept / sum < _o.TopP)) kept += probs[order[n++]];
        double r = _rng.NextDouble() * kept;
        for (int i = 0; i < n; i++)
        {
            r -= probs[order[i]];
            if (r <= 0) return order[i];
        }
        return order[n - 1];
    }

    /// <summary>The first index of the largest value (as torch.argmax).</summary>
    public static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
