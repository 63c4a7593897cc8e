using MantisNative.Autograd;
using MantisNative.Models.Config;
using MantisNative.Nn;
using MantisNative.Tensors;

namespace MantisNative.Models;

/// <summary>One pre-LN ViT encoder layer as in SigLIP and CLIP (names `{prefix}.layer_norm1`, `self_attn.*_proj`, `mlp.fc1/fc2`).</summary>
public sealed class VisionEncoderLayer
{
    private readonly LayerNormLayer _ln1, _ln2;
    private readonly Linear _q, _k, _v, _o, _fc1, _fc2;
    private readonly int _heads;
    private readonly Activation _act;

    public VisionEncoderLayer(ParameterStore ps, string prefix, VisionTowerConfig c)
    {
        int d = c.HiddenSize;
        _ln1 = new LayerNormLayer(ps, prefix + ".layer_norm1", d, c.LayerNormEps);
        _q = new Linear(ps, prefix + ".self_attn.q_proj", d, d, true);
        _k = new Linear(ps, prefix + ".self_attn.k_proj", d, d, true);
        _v = new Linear(ps, prefix + ".self_attn.v_proj", d, d, true);
        _o = new Linear(ps, prefix + ".self_attn.out_proj", d, d, true);
        _ln2 = new LayerNormLayer(ps, prefix + ".layer_norm2", d, c.LayerNormEps);
        _fc1 = new Linear(ps, prefix + ".mlp.fc1", d, c.IntermediateSize, true);
        _fc2 = new Linear(ps, prefix + ".mlp.fc2", c.IntermediateSize, d, true);
        _heads = c.NumAttentionHeads;
        _act = c.HiddenAct;
    }

    /// <summary>x [N, P, D] to [N, P, D]: bidirectional self-attention, then the MLP, each with a residual.</summary>
    public Tensor Forward(Tensor x)
    {
        var h = _ln1.Forward(x);
        // attention reads the projections' [N, P, heads, headDim] layout itself: no permute copy either way
        var q = Heads.View(_q.Forward(h), _heads);
        var k = Heads.View(_k.Forward(h), _heads);
        var v = Heads.View(_v.Forward(h), _heads);
        var a = _o.Forward(Heads.Join(Ops.Attention(q, k, v, causal: false, layout: AttentionLayout.TokenMajor)));
        x = Ops.Add(x, a);
        h = _fc2.Forward(Ops.Activate(_act, _fc1.Forward(_ln2.Forward(x))));
        return Ops.Add(x, h);
    }
}

/// <summary>
/// A ViT vision tower (SigLIP or CLIP). Produces hidden state <c>layer</c> (0 = embeddings, i = after
/// encoder layer i) and computes no layer beyond the one asked for.
/// </summary>
public abstract class VisionTower
{
    protected const string Prefix = "vision_tower.vision_model";
    public VisionTowerConfig Config { get; }
    private readonly VisionEncoderLayer[] _layers;
    public LayerNormLayer PostLayerNorm { get; }

    protected VisionTower(ParameterStore ps, VisionTowerConfig c)
    {
        Config = c;
        _layers = new VisionEncoderLayer[c.NumHiddenLayers];
        for (int i = 0; i < _layers.Length; i++) _layers[i] = new VisionEncoderLayer(ps, $"{Prefix}.encoder.layers.{i}", c);
        PostLayerNorm = new LayerNormLayer(ps, $"{Prefix}.post_layernorm", c.HiddenSize, c.LayerNormEps);
    }

    /// <summary>Recompute each encoder layer in the backward instead of keeping its activations (training only).</summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>pixels [N, C, H, W] to the encoder input [N, positions, D] (hidden state 0).</summary>
    protected abstract Tensor Embed(Tensor pixels);

    /// <summary>Hidden state number <paramref name="layer"/> (0..layers); <paramref name="all"/> receives every state on the way if given.</summary>
    public Tensor HiddenState(Tensor pixels, int layer, List<Tensor>? all = null)
    {
        if (pixels.Rank != 4 || pixels.Dim(1) != Config.NumChannels || pixels.Dim(2) != Config.ImageSize || pixels.Dim(3) != Config.ImageSize)
            throw new MantisException($"pixel_values has shape {pixels.Shape}; this vision tower expects [N, {Config.NumChannels}, {Config.ImageSize}, {Config.ImageSize}]");
        var h = Embed(pixels);
        all?.Add(h);
        int last = all is null ? layer : _layers.Length;
        for (int i = 0; i < last; i++)
        {
            var encoderLayer = _layers[i];
            if (GradientCheckpointing && all is null && Tape.IsRecording) h = CheckpointedBlock.Run(xs => encoderLayer.Forward(xs[0]), h);
            else if (all is null)
            {
                // a layer that records nothing (a frozen tower, or no tape) needs none of its intermediates after it:
                // free them now, not at the end of the step (27 SigLIP layers of 2 images at 384 px hold ~6 GB otherwise)
                var scope = new TensorScope();
                try { h = scope.EndKeeping(encoderLayer.Forward(h)); }
                finally { scope.Dispose(); }
            }
            else h = encoderLayer.Forward(h);
            all?.Add(h);
        }
        return all is null ? h : all[layer];
    }

    public static VisionTower Create(ParameterStore ps, VisionTowerConfig c) => c.ModelType switch
    {
        VisionModelType.Siglip => new SiglipVisionTower(ps, c),
        VisionModelType.Clip => new ClipVisionTower(ps, c),
        _ => throw new MantisException($"vision tower type {c.ModelType} is not supported"),
    };
}
