using System.Text.RegularExpressions;

namespace MantisNative.IO.Quantization;

/// <summary>
/// Which weights <see cref="ModelQuantizer"/> quantizes: the Linear weights of the language model (attention and
/// MLP of every decoder layer, lm_head) and of the projector, by legacy name. Embeddings, norms, biases and the
/// vision tower keep their dtype (the tower is small beside the LLM and its errors reach every image token).
/// </summary>
public static partial class QuantizationTargets
{
    [GeneratedRegex(@"^(language_model\.model\.layers\.\d+\.(self_attn|mlp)\.[a-z_]+_proj\.weight|language_model\.lm_head\.weight|multi_modal_projector\.linear_\d+\.weight)$")]
    private static partial Regex Default();

    public static bool IsTarget(string legacyName) => Default().IsMatch(legacyName);
}
