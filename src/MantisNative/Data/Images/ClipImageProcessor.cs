namespace MantisNative.Data.Images;

/// <summary>
/// transformers' CLIPImageProcessor: resize so the shortest edge has size["shortest_edge"] (or to an exact
/// {height, width}), center crop to crop_size, then rescale and normalize with the OpenAI CLIP mean/std.
/// </summary>
public sealed class ClipImageProcessor : ImageProcessor
{
    public ClipImageProcessor(ImageProcessorConfig config) : base(config)
    {
        if (config.Kind != ImageProcessorKind.Clip) throw new ArgumentException("not a CLIP config", nameof(config));
    }

    public override RgbImage ApplyGeometry(RgbImage image)
    {
        if (Config.DoResize)
        {
            var (h, w) = ResizeOutputSize(image.Height, image.Width, Config.Size);
            image = PilResize.Resize(image, w, h, Config.Resample);
        }
        if (Config.DoCenterCrop)
            image = CenterCrop.Apply(image, Config.CropSize!.Height!.Value, Config.CropSize.Width!.Value);
        return image;
    }

    /// <summary>
    /// transformers' get_resize_output_image_size(default_to_square=False): the short side becomes the
    /// requested length and the long side int(requested * long / short) — a float division, truncated.
    /// Returns (height, width).
    /// </summary>
    public static (int Height, int Width) ResizeOutputSize(int height, int width, ImageResizeSize size)
    {
        if (size.IsExact) return (size.Height!.Value, size.Width!.Value);
        int requested = size.ShortestEdge!.Value;
        int shortSide = Math.Min(width, height), longSide = Math.Max(width, height);
        double newLongExact = (double)((long)requested * longSide) / shortSide;
        // a very elongated image at a large shortest_edge would not fit an int-indexed pixel buffer
        if (newLongExact * requested * 3 > int.MaxValue)
            throw new MantisException($"a {width}x{height} image resized to shortest_edge {requested} would be {newLongExact:F0} pixels long, too large");
        int newLong = (int)newLongExact;
        return width <= height ? (newLong, requested) : (requested, newLong);
    }
}
