namespace MantisNative.Data.Images;

/// <summary>Which transformers image processor a config describes (its <c>image_processor_type</c>).</summary>
public enum ImageProcessorKind
{
    /// <summary>SiglipImageProcessor: resize to an exact size, rescale, normalize.</summary>
    Siglip,

    /// <summary>CLIPImageProcessor: shortest-edge resize, center crop, rescale, normalize.</summary>
    Clip,
}
