using MantisNative.Autograd;
using MantisNative.Models.Config;
using MantisNative.Nn;
using MantisNative.Tensors;

namespace MantisNative.Models;

/// <summary>SigLIP: patch convolution with bias plus learned positions; no class token.</summary>
public sealed class SiglipVisionTower : VisionTower
{
    private readonly Tensor _patchWeight, _patchBias, _positions;

    public SiglipVisionTower(ParameterStore ps, VisionTowerConfig c) : base(ps, c)
    {
        _patchWeight = ps.Take($"{Prefix}.embeddings.patch_embedding.weight", WeightRole.Matrix, c.HiddenSize, c.NumChannels, c.PatchSize, c.PatchSize);
        _patchBias = ps.Take($"{Prefix}.embeddings.patch_embedding.bias", WeightRole.Bias, c.HiddenSize);
        _positions = ps.Take($"{Prefix}.embeddings.position_embedding.weight", WeightRole.PositionEmbedding, c.NumPatches, c.HiddenSize);
    }

    protected override Tensor Embed(Tensor pixels) => Ops.Add(Ops.PatchEmbed(pixels, _patchWeight, _patchBias), _positions);
}
