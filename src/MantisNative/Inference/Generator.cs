using MantisNative.Autograd;
using MantisNative.Models;
using MantisNative.Tensors;

namespace MantisNative.Inference;

/// <summary>
/// Autoregressive decoding with a KV cache: one prefill over the prompt (images spliced in), then one token
/// at a time. Yields each new token as soon as it is chosen, so callers can stream.
/// </summary>
public static class Generator
{
    /// <param name="promptIds">one row of ids (one &lt;image&gt; id per image, or already expanded)</param>
    /// <param name="pixels">[N, C, H, W] or null</param>
    /// <param name="onStepLogits">receives each step's raw last-position logits (for checks)</param>
    public static IEnumerable<int> Generate(MantisModel model, int[] promptIds, Tensor? pixels, GenerationOptions options,
        Action<float[]>? onStepLogits = null, CancellationToken cancel = default)
    {
        var sampler = new TokenSampler(options);
        using var cache = new KvCache(model.Language.LayerCount);
        int position;
        float[] logits;
        using (Tape.NoGrad())
        {
            var layout = ImageTokenLayout.Build(promptIds, 1, null, null, model.Config.ImageTokenIndex, pixels?.Dim(0) ?? 0,
                model.Config.ImageTokensPerImage, 0);
            // the one explicit copy of the inputs to the model's device (the KV cache then stays there)
            using var onDevice = pixels is null || pixels.Device == model.Device ? null : pixels.To(model.Device);
            var features = pixels is null ? null : model.ImageFeatures(onDevice ?? pixels);
            var embeds = model.Embed(layout, features);
            position = layout.Length;
            logits = LastLogits(model, embeds, Enumerable.Range(0, position).ToArray(), cache);
        }
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            cancel.ThrowIfCancellationRequested();
            onStepLogits?.Invoke(logits);
            int token = sampler.Next(logits);
            yield return token;
            if (options.StopIds.Contains(token) || step + 1 == options.MaxNewTokens) yield break;
            using (Tape.NoGrad())
            {
                var embeds = Ops.Reshape(model.Language.Embed(new[] { token }), 1, 1, -1);
                logits = LastLogits(model, embeds, new[] { position++ }, cache);
            }
        }
    }

    private static float[] LastLogits(MantisModel model, Tensor embeds, int[] positions, KvCache cache)
    {
        var hidden = model.Language.Forward(embeds, positions, null, cache);
        int t = hidden.Dim(1);
        using var last = Ops.Slice(hidden, 1, t - 1, 1);
        using var logits = model.Language.Logits(last);
        return logits.ToArray();   // on a device: the one download per step, for sampling on the host
    }
}
