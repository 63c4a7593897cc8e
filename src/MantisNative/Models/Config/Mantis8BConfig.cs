using MantisNative.Autograd;
namespace MantisNative.Models.Config;

/// <summary>
/// The shapes of Mantis-8B-siglip-llama3 (TIGER-Lab): SigLIP so400m-patch14-384 tower, 2-layer GELU projector and
/// Meta-Llama-3-8B-Instruct with the vocabulary grown by &lt;image&gt; (128256) and &lt;|pad|&gt; (128257). Used to write
/// random checkpoints of exactly that layout (<c>mantis make-checkpoint</c>).
/// </summary>
public static class Mantis8BConfig
{
    public const int DecoderLayers = 32;
    public const int VisionLayers = 27;

    /// <param name="decoderLayers">Llama decoder layers (32 in the released model)</param>
    /// <param name="visionLayers">SigLIP encoder layers (27 in the released model)</param>
    public static LlavaConfig Create(int decoderLayers = DecoderLayers, int visionLayers = VisionLayers) => new()
    {
        Vision = VisionTowerConfig.SiglipDefaults() with
        {
            HiddenSize = 1152, IntermediateSize = 4304, NumHiddenLayers = visionLayers, NumAttentionHeads = 16,
            ImageSize = 384, PatchSize = 14, HiddenAct = Activation.GeluTanh, LayerNormEps = 1e-6,
        },
        Text = new LlamaConfig
        {
            VocabSize = 128258, HiddenSize = 4096, IntermediateSize = 14336, NumHiddenLayers = decoderLayers,
            NumAttentionHeads = 32, NumKeyValueHeads = 8, HeadDim = 128, MaxPositionEmbeddings = 8192,
            RmsNormEps = 1e-5, RopeTheta = 500000, BosTokenId = 128000, EosTokenIds = [128001], PadTokenId = 128257,
        },
        ImageTokenIndex = 128256,
        PadTokenId = 128257,
        VisionFeatureLayer = -2,
        VisionFeatureSelectStrategy = VisionFeatureSelectStrategy.Default,
        ProjectorHiddenAct = Activation.Gelu,
        ImageSeqLength = 729,
        TorchDtype = "bfloat16",
    };
}
