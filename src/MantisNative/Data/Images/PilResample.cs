namespace MantisNative.Data.Images;

/// <summary>
/// PIL's resampling filter numbers, as <c>resample</c> in preprocessor_config.json stores them
/// (PIL.Image.Resampling: NEAREST 0, LANCZOS 1, BILINEAR 2, BICUBIC 3, BOX 4, HAMMING 5).
/// </summary>
public enum PilResample
{
    Nearest = 0,
    Lanczos = 1,
    Bilinear = 2,
    Bicubic = 3,
    Box = 4,
    Hamming = 5,
}
