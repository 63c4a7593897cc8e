using MantisNative.Autograd;
using MantisNative.Models.Config;
using MantisNative.Nn;
using MantisNative.Tensors;

namespace MantisNative.Models;

/// <summary>One Llama decoder layer: RMSNorm, grouped-query attention with RoPE, RMSNorm, SwiGLU MLP.</summary>
public sealed class LlamaLayer
{
    private readonly RmsNormLayer _inNorm, _postNorm;
    private readonly Linear _q, _k, _v, _o, _gate, _up, _down;
    private readonly LlamaConfig _c;

    public LlamaLayer(ParameterStore ps, string prefix, LlamaConfig c)
    {
        _c = c;
        int d = c.HiddenSize, hd = c.HeadDim;
        _inNorm = new RmsNormLayer(ps, prefix + ".input_layernorm", d, c.RmsNormEps);
        _q = new Linear(ps, prefix + ".self_attn.q_proj", d, c.NumAttentionHeads * hd, c.AttentionBias);
        _k = new Linear(ps, prefix + ".self_attn.k_proj", d, c.NumKeyValueHeads * hd, c.AttentionBias);
        _v = new Linear(ps, prefix + ".self_attn.v_proj", d, c.NumKeyValueHeads * hd, c.AttentionBias);
        _o = new Linear(ps, prefix + ".self_attn.o_proj", c.NumAttentionHeads * hd, d, c.AttentionBias);
        _postNorm = new RmsNormLayer(ps, prefix + ".post_attention_layernorm", d, c.RmsNormEps);
        _gate = new Linear(ps, prefix + ".mlp.gate_proj", d, c.IntermediateSize, c.MlpBias);
        _up = new Linear(ps, prefix + ".mlp.up_proj", d, c.IntermediateSize, c.MlpBias);
        _down = new Linear(ps, prefix + ".mlp.down_proj", c.IntermediateSize, d, c.MlpBias);
    }

    /// <param name="x">[B, T, hidden]</param>
    /// <param name="cos">RoPE tables on x's device: [B*T, headDim/2] for the new tokens, or, with <paramref name="byPosition"/>,
    /// [rows >= T, headDim/2] by position (the new tokens are at positions 0..T-1 of every row)</param>
    /// <param name="keyValid">[B, S] U8 validity of every key attention reads (growing cache: cached + new; preallocated: the prompt's, then the whole capacity's) on x's device, or null</param>
    /// <param name="cache">this layer's slot of the KV cache, extended in place; null when not caching</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor? keyValid, KvCache? cache, int layerIndex, bool byPosition = false)
    {
        int b = x.Dim(0), t = x.Dim(1), hd = _c.HeadDim;
        var h = _inNorm.Forward(x);
        var q = Ops.Reshape(_q.Forward(h), b, t, _c.NumAttentionHeads, hd);
        var k = Ops.Reshape(_k.Forward(h), b, t, _c.NumKeyValueHeads, hd);
        var v = Ops.Reshape(_v.Forward(h), b, t, _c.NumKeyValueHeads, hd);
        // attention reads the projections' [B, T, H, D] layout itself: no permute copy either way
        q = byPosition ? Ops.RopeByPosition(q, cos, sin) : Ops.Rope(q, cos, sin);
        k = byPosition ? Ops.RopeByPosition(k, cos, sin) : Ops.Rope(k, cos, sin);
        // a preallocated cache hands back its full buffers after the prompt: every key is then in the past (or masked)
        bool causal = true;
        if (cache is not null)
        {
            bool prompt = cache.Length == 0;
            (k, v) = cache.Append(layerIndex, k, v);
            causal = !cache.IsPreallocated || prompt;
        }
        var a = _o.Forward(Ops.Reshape(Ops.Attention(q, k, v, causal, keyValid, layout: AttentionLayout.TokenMajor), b, t, _c.NumAttentionHeads * hd));
        x = Ops.Add(x, a);
        h = _postNorm.Forward(x);
        var m = _down.Forward(GatedActivation(_gate.Forward(h), _up.Forward(h)));
        return Ops.Add(x, m);
    }

    // act(gate) * up with the config's hidden_act: the fused SwiGLU for silu (Llama), the named activation otherwise.
    private Tensor GatedActivation(Tensor gate, Tensor up) =>
        _c.HiddenAct == Activation.Silu ? Ops.SwiGlu(gate, up) : Ops.Mul(Ops.Activate(_c.HiddenAct, gate), up);
}

/// <summary>The Llama language model: embed_tokens, layers, final norm, lm_head (or tied to the embeddings).</summary>
public sealed class LlamaDecoder
{
    private const string Prefix = "language_model.model";
    public LlamaConfig Config { get; }
    private readonly Tensor? _embedTokens, _lmHead;

    /// <summary>The fp32 embedding table (a frozen load has <see cref="FrozenEmbedTokens"/> instead).</summary>
    public Tensor EmbedTokens => _embedTokens ?? throw new InvalidOperationException($"{FrozenEmbedTokens} is frozen in its own format; use Embed");

    /// <summary>The fp32 lm_head (the embedding table when tied); a frozen load has <see cref="FrozenLmHead"/> instead.</summary>
    public Tensor LmHead => _lmHead ?? throw new InvalidOperationException($"{FrozenLmHead} is frozen in its own format; use Logits");

    /// <summary>embed_tokens frozen in its own format, or null.</summary>
    public FrozenMatrix? FrozenEmbedTokens { get; }

    /// <summary>lm_head frozen in its own format (the frozen table when tied), or null.</summary>
    public FrozenMatrix? FrozenLmHead { get; }
    private readonly LlamaLayer[] _layers;
    private readonly RmsNormLayer _norm;
    private readonly float[] _invFreq;
    private readonly RopePositionTables _ropeByPosition;

    /// <summary>Run each layer as a checkpointed block during training (less memory, one extra forward).</summary>
    public bool GradientCheckpointing { get; set; }

    public int LayerCount => _layers.Length;

    public LlamaDecoder(ParameterStore ps, LlamaConfig c)
    {
        Config = c;
        (_embedTokens, FrozenEmbedTokens) = ps.TakeMatrix($"{Prefix}.embed_tokens.weight", WeightRole.Embedding, c.VocabSize, c.HiddenSize);
        _layers = new LlamaLayer[c.NumHiddenLayers];
        for (int i = 0; i < _layers.Length; i++) _layers[i] = new LlamaLayer(ps, $"{Prefix}.layers.{i}", c);
        _norm = new RmsNormLayer(ps, $"{Prefix}.norm", c.HiddenSize, c.RmsNormEps);
        (_lmHead, FrozenLmHead) = c.TieWordEmbeddings ? (_embedTokens, FrozenEmbedTokens)
            : ps.TakeMatrix("language_model.lm_head.weight", WeightRole.Matrix, c.VocabSize, c.HiddenSize);
        var inv = RopeTables.InverseFrequencies(c.HeadDim, c.RopeTheta);
        if (c.RopeScaling is { } s)
        {
            inv = s.Type switch
            {
                RopeScalingType.Llama3 => RopeTables.ApplyLlama3Scaling(inv, s.Factor, s.LowFreqFactor, s.HighFreqFactor, s.OriginalMaxPositionEmbeddings),
                RopeScalingType.Linear => inv.Select(f => f / (float)s.Factor).ToArray(),
                _ => throw new MantisException($"rope_scaling type {s.Type} is not supported"),
            };
        }
        _invFreq = inv;
        _ropeByPosition = new RopePositionTables(inv);
    }

    /// <summary>
    /// Runs the layers over embeddings [B, T, hidden] at the given positions ([B*T]); returns the final-norm
    /// hidden states [B, T, hidden]. <paramref name="hiddenStates"/> collects every layer's input and the final output if given.
    /// </summary>
    public Tensor Forward(Tensor embeds, int[] positions, bool[]? keyValid, KvCache? cache = null, List<Tensor>? hiddenStates = null)
    {
        // the op inputs every layer shares, placed on the device once per forward; on a GPU, positions 0..T-1 in every
        // row (training, a prompt) read the decoder's tables made once there (nothing computed or uploaded per step)
        bool byPosition = embeds.IsOnDevice && RopePositionTables.AreSequenceIndices(positions, embeds.Dim(1));
        var (cos, sin) = byPosition ? _ropeByPosition.For(embeds.Dim(1), embeds.Device) : RopeTables.OnDevice(_invFreq, positions, embeds.Device);
        var mask = keyValid is null ? null : Ops.KeyMask(keyValid, embeds.Dim(0), keyValid.Length / embeds.Dim(0), embeds.Device);
        var h = embeds;
        for (int i = 0; i < _layers.Length; i++)
        {
            hiddenStates?.Add(h);
            var layer = _layers[i];
            int li = i;
            h = GradientCheckpointing && cache is null && Tape.IsRecording
                ? CheckpointedBlock.Run(xs => layer.Forward(xs[0], cos, sin, mask, null, li, byPosition), h)
                : layer.Forward(h, cos, sin, mask, cache, i, byPosition);
        }
        cache?.Advance(embeds.Dim(1));
        if (!Tape.IsRecording)   // else the backward reads them; the tables by position stay with the decoder
        {
            if (!byPosition) { cos.Dispose(); sin.Dispose(); }
            mask?.Dispose();
        }
        h = _norm.Forward(h);
        hiddenStates?.Add(h);
        return h;
    }

    /// <summary>Logits [..., vocab] of hidden states [..., hidden].</summary>
    public Tensor Logits(Tensor hidden) => FrozenLmHead is { } f ? Ops.FrozenLinear(hidden, f) : Ops.Linear(hidden, _lmHead!);

    /// <summary>Token embeddings [ids.Length, hidden] (fp32 or frozen table).</summary>
    public Tensor Embed(ReadOnlySpan<int> ids) => FrozenEmbedTokens is { } f ? Ops.FrozenEmbedding(f, ids) : Ops.Embedding(_embedTokens!, ids);
}
