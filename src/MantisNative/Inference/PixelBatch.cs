using MantisNative.Data.Images;
using MantisNative.Tensors;

namespace MantisNative.Inference;

/// <summary>Stacks processed images into the model's pixel input [N, 3, H, W].</summary>
public static class PixelBatch
{
    /// <summary>Null for no images (a text-only prompt). All images must have the processor's one size.</summary>
    public static Tensor? Stack(IReadOnlyList<ProcessedImage> images)
    {
        if (images.Count == 0) return null;
        int h = images[0].Height, w = images[0].Width, plane = ProcessedImage.Channels * h * w;
        var data = new float[images.Count * plane];
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i].Height != h || images[i].Width != w)
                throw new MantisException($"image {i + 1} was processed to {images[i].Width}x{images[i].Height}, image 1 to {w}x{h}: one batch needs one size");
            images[i].Data.AsSpan(0, plane).CopyTo(data.AsSpan(i * plane));
        }
        return Tensor.FromSpan(data, new Shape(images.Count, ProcessedImage.Channels, h, w));
    }
}
