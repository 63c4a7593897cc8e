namespace MantisNative.Data.Images;

/// <summary>
/// transformers' SiglipImageProcessor: resize straight to size (height, width) — no aspect-ratio
/// preservation, no crop — then rescale and normalize (default mean = std = 0.5, so values lie in [-1, 1]).
/// </summary>
public sealed class SiglipImageProcessor : ImageProcessor
{
    public SiglipImageProcessor(ImageProcessorConfig config) : base(config)
    {
        if (config.Kind != ImageProcessorKind.Siglip) throw new ArgumentException("not a SigLIP config", nameof(config));
        if (config.DoResize && !config.Size.IsExact) throw new MantisException($"SiglipImageProcessor needs size as {{height, width}}, got {config.Size}");
    }

    public override RgbImage ApplyGeometry(RgbImage image) =>
        Config.DoResize ? PilResize.Resize(image, Config.Size.Width!.Value, Config.Size.Height!.Value, Config.Resample) : image;
}
