using System.Diagnostics;
using MantisNative.Autograd;
using MantisNative.Models;
using MantisNative.Tensors;

namespace MantisNative.Inference;

/// <summary>
/// Autoregressive decoding with a preallocated KV cache (prompt + max new tokens, filled in place: no copy per
/// token; attention reads only the filled part): one prefill over the prompt (images spliced in), then one token
/// at a time. Yields each new token as soon as it is chosen, so callers can stream.
/// </summary>
public static class Generator
{
    /// <param name="promptIds">one row of ids (one &lt;image&gt; id per image, or already expanded)</param>
    /// <param name="pixels">[N, C, H, W] or null</param>
    /// <param name="onStepLogits">receives each step's raw last-position logits (for checks)</param>
    /// <param name="imageFeatures">the images' features already computed (<see cref="MantisModel.ImageFeatures"/> of
    /// <paramref name="pixels"/>, e.g. cached by a chat across turns): the vision tower is then not run</param>
    /// <param name="stats">filled with the answer's timings when given</param>
    public static IEnumerable<int> Generate(MantisModel model, int[] promptIds, Tensor? pixels, GenerationOptions options,
        Action<float[]>? onStepLogits = null, CancellationToken cancel = default, Tensor? imageFeatures = null, GenerationStats? stats = null)
    {
        var clock = Stopwatch.StartNew();
        var sampler = new TokenSampler(options);
        int images = imageFeatures?.Dim(0) ?? pixels?.Dim(0) ?? 0;
        var layout = ImageTokenLayout.Build(promptIds, 1, null, null, model.Config.ImageTokenIndex, images, model.Config.ImageTokensPerImage, 0);
        int position = layout.Length, capacity = position + Math.Max(1, options.MaxNewTokens);
        using var cache = KvCache.Preallocated(model.Language.LayerCount, capacity);
        var valid = new bool[capacity];
        float[] logits;
        using (Tape.NoGrad())
        {
            var features = imageFeatures;
            Tensor? computed = null;
            if (features is null && pixels is not null)
            {
                // the one explicit copy of the inputs to the model's device (the KV cache then stays there)
                using var onDevice = pixels.Device == model.Device ? null : pixels.To(model.Device);
                features = computed = model.ImageFeatures(onDevice ?? pixels);
                if (stats is not null) { stats.ImagesEncoded = images; stats.VisionSeconds = clock.Elapsed.TotalSeconds; }
            }
            var embeds = model.Embed(layout, features);
            computed?.Dispose();
            logits = LastLogits(model, embeds, Enumerable.Range(0, position).ToArray(), null, cache);
            for (int i = 0; i < position; i++) valid[i] = true;
        }
        if (stats is not null) stats.PromptTokens = position;
        double firstTokenAt = 0;
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            cancel.ThrowIfCancellationRequested();
            onStepLogits?.Invoke(logits);
            int token = sampler.Next(logits);
            if (step == 0)
            {
                firstTokenAt = clock.Elapsed.TotalSeconds;
                if (stats is not null) stats.TimeToFirstTokenSeconds = firstTokenAt;
            }
            else if (stats is not null)
            {
                stats.DecodeTokens = step;
                stats.DecodeSeconds = clock.Elapsed.TotalSeconds - firstTokenAt;
            }
            yield return token;
            if (options.StopIds.Contains(token) || step + 1 == options.MaxNewTokens) yield break;
            using (Tape.NoGrad())
            {
                var embeds = Ops.Reshape(model.Language.Embed(new[] { token }), 1, 1, -1);
                valid[position] = true;
                logits = LastLogits(model, embeds, new[] { position++ }, valid, cache);
            }
        }
    }

    private static float[] LastLogits(MantisModel model, Tensor embeds, int[] positions, bool[]? keyValid, KvCache cache)
    {
        var hidden = model.Language.Forward(embeds, positions, keyValid, cache);
        int t = hidden.Dim(1);
        using var last = Ops.Slice(hidden, 1, t - 1, 1);
        using var logits = model.Language.Logits(last);
        return logits.ToArray();   // on a device: the one download per step, for sampling on the host
    }
}
