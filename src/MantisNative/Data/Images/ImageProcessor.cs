namespace MantisNative.Data.Images;

/// <summary>
/// Turns decoded images into the vision tower's input exactly as transformers' image processor of the
/// same config does (with PIL 9.4 resizing): geometry on 8-bit RGB (resize, crop), then rescale and
/// normalize to float32 CHW. Instances hold only read-only tables after construction, so one processor
/// can serve many threads (set <see cref="DecodeOptions"/> before sharing it).
/// </summary>
public abstract class ImageProcessor
{
    private readonly PixelNormalizer _normalizer;

    public ImageProcessorConfig Config { get; }

    /// <summary>How <see cref="ProcessFile"/> decodes; EXIF orientation is applied by default (PIL does not).</summary>
    public ImageDecodeOptions DecodeOptions { get; set; } = ImageDecodeOptions.Default;

    protected ImageProcessor(ImageProcessorConfig config)
    {
        Config = config;
        _normalizer = new PixelNormalizer(config.DoRescale, config.RescaleFactor, config.DoNormalize, config.ImageMean, config.ImageStd);
    }

    /// <summary>Resize/crop as the processor's class does, still 8-bit RGB (the step that must match PIL exactly).</summary>
    public abstract RgbImage ApplyGeometry(RgbImage image);

    /// <summary>The processed [3, H, W] tensor for one image.</summary>
    public ProcessedImage Process(RgbImage image) => _normalizer.ToChw(ApplyGeometry(image));

    /// <summary>Decodes then processes a file; errors name the file.</summary>
    public ProcessedImage ProcessFile(string path) => Process(ImageDecoder.DecodeFile(path, DecodeOptions));

    /// <summary>Decodes then processes an encoded image in memory (e.g. parquet {bytes, path}); errors name <paramref name="sourceName"/>.</summary>
    public ProcessedImage ProcessEncoded(ReadOnlySpan<byte> encoded, string sourceName) =>
        Process(ImageDecoder.Decode(encoded, sourceName, DecodeOptions));

    /// <summary>The processor a preprocessor_config.json describes (image_processor_type picks the class).</summary>
    public static ImageProcessor FromConfig(string preprocessorConfigPath) => Create(ImageProcessorConfig.Load(preprocessorConfigPath));

    public static ImageProcessor Create(ImageProcessorConfig config) => config.Kind switch
    {
        ImageProcessorKind.Siglip => new SiglipImageProcessor(config),
        ImageProcessorKind.Clip => new ClipImageProcessor(config),
        _ => throw new ArgumentOutOfRangeException(nameof(config), config.Kind, "unknown image processor kind"),
    };

    /// <summary>
    /// The processor a checkpoint without preprocessor_config.json would use: the class's defaults at the
    /// vision config's image_size (SigLIP so400m: 384; CLIP ViT-L/14-336: shortest edge 336, crop 336).
    /// </summary>
    public static ImageProcessor ForVisionConfig(ImageProcessorKind kind, int imageSize)
    {
        if (imageSize <= 0) throw new MantisException($"vision config image_size {imageSize} must be positive");
        return Create(kind == ImageProcessorKind.Siglip ? ImageProcessorConfig.SiglipDefaults(imageSize) : ImageProcessorConfig.ClipDefaults(imageSize));
    }

    /// <summary>Same, from the vision config's model_type ("siglip_vision_model" or "clip_vision_model").</summary>
    public static ImageProcessor ForVisionConfig(string visionModelType, int imageSize) => ForVisionConfig(visionModelType switch
    {
        "siglip_vision_model" or "siglip" => ImageProcessorKind.Siglip,
        "clip_vision_model" or "clip" => ImageProcessorKind.Clip,
        _ => throw new MantisException($"vision model_type \"{visionModelType}\" has no image processor (expected siglip_vision_model or clip_vision_model)"),
    }, imageSize);
}
