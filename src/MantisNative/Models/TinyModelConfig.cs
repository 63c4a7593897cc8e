using MantisNative.Autograd;
using MantisNative.Models.Config;

namespace MantisNative.Models;

/// <summary>
/// The built-in tiny Mantis model for the synthetic skills set (about 1 M parameters): a SigLIP-style tower
/// on 32x32 images with 8x8 patches, a 4-layer Llama decoder of width 128 with grouped-query attention.
/// The tower's last layer is used with strategy "full": with SigLIP (no CLS token) "default" would drop the
/// top-left patch, and a 2-layer tower has no spare layer. Four decoder layers: the calibration run found two
/// layers never learn co-reference ("what colour is the shape in image 2?"), four do.
/// </summary>
public static class TinyModelConfig
{
    public const string Name = "tiny";

    public static LlavaConfig Create(int vocabSize, int imageTokenId, int padId, int bosId, int eosId, int imageSize = 32) => new()
    {
        Vision = VisionTowerConfig.SiglipDefaults() with
        {
            HiddenSize = 96, IntermediateSize = 192, NumHiddenLayers = 2, NumAttentionHeads = 4,
            ImageSize = imageSize, PatchSize = 8, HiddenAct = Activation.GeluTanh, LayerNormEps = 1e-6,
        },
        Text = new LlamaConfig
        {
            VocabSize = vocabSize, HiddenSize = 128, IntermediateSize = 344, NumHiddenLayers = 4, NumAttentionHeads = 4,
            NumKeyValueHeads = 2, HeadDim = 32, RopeTheta = 10000, RmsNormEps = 1e-5, MaxPositionEmbeddings = 1024,
            BosTokenId = bosId, EosTokenIds = new[] { eosId }, PadTokenId = padId,
        },
        ImageTokenIndex = imageTokenId,
        PadTokenId = padId,
        VisionFeatureLayer = -1,
        VisionFeatureSelectStrategy = VisionFeatureSelectStrategy.Full,
        ProjectorHiddenAct = Activation.Gelu,
        ImageSeqLength = (imageSize / 8) * (imageSize / 8),
    };
}
