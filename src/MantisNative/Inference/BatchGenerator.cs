using MantisNative.Autograd;
using MantisNative.Models;
using MantisNative.Tensors;

namespace MantisNative.Inference;

/// <summary>One prompt of a batch: its ids (one &lt;image&gt; id per image) and its images' pixels [N, C, H, W] (or null).</summary>
public sealed record BatchPrompt(int[] Ids, Tensor? Pixels);

/// <summary>
/// Greedy decoding of several prompts at once. Prompts are left-padded to one length (so every row's next token is
/// read at the same last position), each row's positions count only its own tokens, padded keys are masked, and the
/// KV cache is preallocated for prompt + new tokens (filled in place, no copy per step). A row that emitted a stop id
/// is finished; the batch runs until every row is. With greedy decoding each row's tokens equal what
/// <see cref="Generator"/> gives for that prompt alone, up to float rounding in near-ties (checked in tests).
/// </summary>
public static class BatchGenerator
{
    public static List<List<int>> Generate(MantisModel model, IReadOnlyList<BatchPrompt> prompts, GenerationOptions options, CancellationToken cancel = default)
    {
        if (options.Temperature > 0) throw new MantisException("batched generation is greedy only (temperature 0)");
        if (options.MaxNewTokens < 1) throw new MantisException($"max new tokens must be at least 1, got {options.MaxNewTokens}");
        int batch = prompts.Count;
        var outputs = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToList();
        if (batch == 0) return outputs;

        var config = model.Config;
        int perImage = config.ImageTokensPerImage, imageId = config.ImageTokenIndex;
        int pad = config.Text.PadTokenId ?? config.PadTokenId ?? 0;
        // expanded length of each row (each <image> id becomes perImage positions) decides its left padding
        var expanded = prompts.Select(p => p.Ids.Length + p.Ids.Count(i => i == imageId) * (perImage - 1)).ToArray();
        int length = expanded.Max();
        var ids = new List<int>();
        var mask = new List<bool>();
        for (int b = 0; b < batch; b++)
        {
            int padding = length - expanded[b];
            ids.AddRange(Enumerable.Repeat(pad, padding));
            mask.AddRange(Enumerable.Repeat(false, padding));
            ids.AddRange(prompts[b].Ids);
            mask.AddRange(Enumerable.Repeat(true, prompts[b].Ids.Length));
        }
        // rows differ in raw length, so the layout is built per row and only the padded, expanded rows are joined
        int capacity = length + options.MaxNewTokens;
        var valid = new bool[batch * capacity];
        var next = new int[batch];
        using var cache = KvCache.Preallocated(model.Language.LayerCount, capacity);
        float[] logits;
        using (Tape.NoGrad())
        {
            var rows = new List<ImageTokenLayout>();
            int offset = 0;
            for (int b = 0; b < batch; b++)
            {
                int raw = prompts[b].Ids.Length + (length - expanded[b]);
                var rowIds = ids.GetRange(offset, raw).ToArray();
                var rowMask = mask.GetRange(offset, raw).ToArray();
                offset += raw;
                rows.Add(ImageTokenLayout.Build(rowIds, 1, null, rowMask, imageId, prompts[b].Pixels?.Dim(0) ?? 0, perImage, pad));
            }
            var positions = new int[batch * length];
            var promptValid = new bool[batch * length];
            for (int b = 0; b < batch; b++)
            {
                int p = 0;
                for (int i = 0; i < length; i++)
                {
                    bool ok = rows[b].Valid[i];
                    promptValid[b * length + i] = ok;
                    valid[b * capacity + i] = ok;
                    positions[b * length + i] = ok ? p++ : 0;
                }
                next[b] = p;
            }
            var embeds = EmbedRows(model, rows, prompts);
            logits = LastLogits(model, embeds, positions, promptValid, cache);
        }

        int vocab = logits.Length / batch;
        var finished = new bool[batch];
        var stops = options.StopIds;
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            cancel.ThrowIfCancellationRequested();
            var tokens = new int[batch];
            for (int b = 0; b < batch; b++)
            {
                tokens[b] = TokenSampler.ArgMax(logits.AsSpan(b * vocab, vocab));
                if (finished[b]) continue;
                outputs[b].Add(tokens[b]);
                if (stops.Contains(tokens[b])) finished[b] = true;
            }
            if (finished.All(f => f) || step + 1 == options.MaxNewTokens) break;
            using (Tape.NoGrad())
            {
                var positions = new int[batch];
                for (int b = 0; b < batch; b++)
                {
                    positions[b] = next[b]++;
                    valid[b * capacity + length + step] = true;
                }
                var embeds = Ops.Reshape(model.Language.Embed(tokens), batch, 1, -1);
                logits = LastLogits(model, embeds, positions, valid, cache);
            }
        }
        return outputs;
    }

    /// <summary>Each row's embeddings with its own image features, stacked to [B, T, hidden].</summary>
    private static Tensor EmbedRows(MantisModel model, List<ImageTokenLayout> rows, IReadOnlyList<BatchPrompt> prompts)
    {
        var parts = new List<Tensor>();
        for (int b = 0; b < rows.Count; b++)
        {
            var px = prompts[b].Pixels;
            using var onDevice = px is null || px.Device == model.Device ? null : px.To(model.Device);
            var features = px is null ? null : model.ImageFeatures(onDevice ?? px);
            parts.Add(model.Embed(rows[b], features));
        }
        return parts.Count == 1 ? parts[0] : Ops.Concat(parts, 0);
    }

    /// <summary>Last-position logits of every row, [B * vocab] on the host (the one download per step).</summary>
    private static float[] LastLogits(MantisModel model, Tensor embeds, int[] positions, bool[] keyValid, KvCache cache)
    {
        var hidden = model.Language.Forward(embeds, positions, keyValid, cache);
        int t = hidden.Dim(1);
        using var last = Ops.Slice(hidden, 1, t - 1, 1);
        using var logits = model.Language.Logits(last);
        return logits.ToArray();
    }
}
