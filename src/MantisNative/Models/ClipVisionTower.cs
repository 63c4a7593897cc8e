using MantisNative.Autograd;
using MantisNative.Models.Config;
using MantisNative.Nn;
using MantisNative.Tensors;

namespace MantisNative.Models;

/// <summary>CLIP: class token + bias-free patch convolution + learned positions, then pre_layrnorm (sic, the HF name).</summary>
public sealed class ClipVisionTower : VisionTower
{
    private readonly Tensor _classEmbedding, _patchWeight, _positions;
    private readonly LayerNormLayer _preLayerNorm;

    public ClipVisionTower(ParameterStore ps, VisionTowerConfig c) : base(ps, c)
    {
        _classEmbedding = ps.Take($"{Prefix}.embeddings.class_embedding", WeightRole.Vector, c.HiddenSize);
        _patchWeight = ps.Take($"{Prefix}.embeddings.patch_embedding.weight", WeightRole.Matrix, c.HiddenSize, c.NumChannels, c.PatchSize, c.PatchSize);
        _positions = ps.Take($"{Prefix}.embeddings.position_embedding.weight", WeightRole.PositionEmbedding, c.NumPatches + 1, c.HiddenSize);
        _preLayerNorm = new LayerNormLayer(ps, $"{Prefix}.pre_layrnorm", c.HiddenSize, c.LayerNormEps);
    }

    protected override Tensor Embed(Tensor pixels)
    {
        int n = pixels.Dim(0), d = Config.HiddenSize;
        var patches = Ops.PatchEmbed(pixels, _patchWeight, null);
        var cls = Ops.Reshape(Ops.IndexSelect(Ops.Reshape(_classEmbedding, 1, d), new int[n]), n, 1, d);
        var h = Ops.Add(Ops.Concat(new[] { cls, patches }, 1), _positions);
        return _preLayerNorm.Forward(h);
    }
}
