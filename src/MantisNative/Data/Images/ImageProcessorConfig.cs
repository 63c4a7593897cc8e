using System.Globalization;
using System.Text.Json;

namespace MantisNative.Data.Images;

/// <summary>
/// The settings of a Hugging Face image processor (preprocessor_config.json). Fields missing from the file
/// take the defaults of the processor class in transformers 4.47, as <c>from_pretrained</c> would.
/// </summary>
public sealed record ImageProcessorConfig
{
    // transformers.image_utils constants.
    public static readonly double[] OpenAiClipMean = [0.48145466, 0.4578275, 0.40821073];
    public static readonly double[] OpenAiClipStd = [0.26862954, 0.26130258, 0.27577711];
    public static readonly double[] ImageNetStandardMean = [0.5, 0.5, 0.5];
    public static readonly double[] ImageNetStandardStd = [0.5, 0.5, 0.5];

    public required ImageProcessorKind Kind { get; init; }
    public bool DoResize { get; init; } = true;
    public required ImageResizeSize Size { get; init; }
    public PilResample Resample { get; init; } = PilResample.Bicubic;
    public bool DoCenterCrop { get; init; }
    public ImageResizeSize? CropSize { get; init; }
    public bool DoRescale { get; init; } = true;

    /// <summary>Kept in double: transformers multiplies the uint8 pixels by it in float64, then casts to float32.</summary>
    public double RescaleFactor { get; init; } = 1.0 / 255;
    public bool DoNormalize { get; init; } = true;
    public required double[] ImageMean { get; init; }
    public required double[] ImageStd { get; init; }

    /// <summary>Informational: decoded images are always RGB already (see <see cref="ImageDecoder"/>).</summary>
    public bool? DoConvertRgb { get; init; }

    /// <summary>SigLIP defaults (so400m-patch14-384 uses 384): exact size, bicubic, 1/255, mean = std = 0.5.</summary>
    public static ImageProcessorConfig SiglipDefaults(int imageSize = 224) => new()
    {
        Kind = ImageProcessorKind.Siglip,
        Size = ImageResizeSize.Square(imageSize),
        ImageMean = ImageNetStandardMean,
        ImageStd = ImageNetStandardStd,
    };

    /// <summary>CLIP defaults (ViT-L/14-336 uses 336): shortest edge, bicubic, center crop, OpenAI CLIP mean/std.</summary>
    public static ImageProcessorConfig ClipDefaults(int imageSize = 224) => new()
    {
        Kind = ImageProcessorKind.Clip,
        Size = ImageResizeSize.Shortest(imageSize),
        DoCenterCrop = true,
        CropSize = ImageResizeSize.Square(imageSize),
        ImageMean = OpenAiClipMean,
        ImageStd = OpenAiClipStd,
        DoConvertRgb = true,
    };

    /// <summary>Reads preprocessor_config.json; a missing file or bad field is a <see cref="MantisException"/> naming it.</summary>
    public static ImageProcessorConfig Load(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MantisException($"image processor config '{path}' not found");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MantisException($"image processor config '{path}' cannot be read: {e.Message}", e);
        }
        return Parse(json, path);
    }

    /// <summary>Parses preprocessor_config.json text; <paramref name="source"/> names it in errors.</summary>
    public static ImageProcessorConfig Parse(string json, string source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new MantisException($"image processor config '{source}' is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new MantisException($"image processor config '{source}' must be a JSON object");
            var r = new Reader(root, source);

            var kind = ParseKind(r.String("image_processor_type") ?? r.String("feature_extractor_type"), source);
            var defaults = kind == ImageProcessorKind.Siglip ? SiglipDefaults() : ClipDefaults();

            var size = r.Size("size", squareInt: kind == ImageProcessorKind.Siglip) ?? defaults.Size;
            if (kind == ImageProcessorKind.Siglip && !size.IsExact)
                throw new MantisException($"image processor config '{source}': SiglipImageProcessor needs \"size\" as {{\"height\", \"width\"}}, got {size}");
            var cropSize = r.Size("crop_size", squareInt: true) ?? defaults.CropSize;
            if (cropSize is not null && !cropSize.IsExact)
                throw new MantisException($"image processor config '{source}': \"crop_size\" must be {{\"height\", \"width\"}}, got {cropSize}");

            int resample = r.Int("resample") ?? (int)defaults.Resample;
            if (resample is < 0 or > 5)
                throw new MantisException($"image processor config '{source}': \"resample\" {resample} is not a PIL filter (0..5)");

            var cfg = defaults with
            {
                DoResize = r.Bool("do_resize") ?? defaults.DoResize,
                Size = size,
                Resample = (PilResample)resample,
                DoCenterCrop = r.Bool("do_center_crop") ?? defaults.DoCenterCrop,
                CropSize = cropSize,
                DoRescale = r.Bool("do_rescale") ?? defaults.DoRescale,
                RescaleFactor = r.Double("rescale_factor") ?? defaults.RescaleFactor,
                DoNormalize = r.Bool("do_normalize") ?? defaults.DoNormalize,
                ImageMean = r.Triple("image_mean") ?? defaults.ImageMean,
                ImageStd = r.Triple("image_std") ?? defaults.ImageStd,
                DoConvertRgb = r.Bool("do_convert_rgb") ?? defaults.DoConvertRgb,
            };
            if (cfg.DoCenterCrop && cfg.CropSize is null)
                throw new MantisException($"image processor config '{source}': \"do_center_crop\" is true but there is no \"crop_size\"");
            if (cfg.DoNormalize && cfg.ImageStd.Any(s => s == 0))
                throw new MantisException($"image processor config '{source}': \"image_std\" has a zero entry");
            return cfg;
        }
    }

    private static ImageProcessorKind ParseKind(string? type, string source) => type switch
    {
        "SiglipImageProcessor" or "SiglipImageProcessorFast" => ImageProcessorKind.Siglip,
        "CLIPImageProcessor" or "CLIPImageProcessorFast" or "CLIPFeatureExtractor" => ImageProcessorKind.Clip,
        null => throw new MantisException($"image processor config '{source}' has no \"image_processor_type\" (expected SiglipImageProcessor or CLIPImageProcessor)"),
        _ => throw new MantisException($"image processor config '{source}': image_processor_type \"{type}\" is not supported (expected SiglipImageProcessor or CLIPImageProcessor)"),
    };

    /// <summary>Typed access to optional fields; JSON null counts as absent, a wrong type is an error naming the field.</summary>
    private readonly struct Reader(JsonElement root, string source)
    {
        private JsonElement? Get(string name) =>
            root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        private MantisException Bad(string name, string expected, JsonElement v) =>
            new($"image processor config '{source}': \"{name}\" must be {expected}, got {v.GetRawText()}");

        public string? String(string name)
        {
            if (Get(name) is not { } v) return null;
            return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Bad(name, "a string", v);
        }

        public bool? Bool(string name)
        {
            if (Get(name) is not { } v) return null;
            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Bad(name, "true or false", v),
            };
        }

        public int? Int(string name)
        {
            if (Get(name) is not { } v) return null;
            return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw Bad(name, "an integer", v);
        }

        public double? Double(string name)
        {
            if (Get(name) is not { } v) return null;
            // System.Text.Json parses to the nearest double, as Python's float() does.
            return v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw Bad(name, "a number", v);
        }

        public double[]? Triple(string name)
        {
            if (Get(name) is not { } v) return null;
            if (v.ValueKind == JsonValueKind.Number) { double d = v.GetDouble(); return [d, d, d]; }
            if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 3 || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number))
                throw Bad(name, "a list of 3 numbers (one per RGB channel)", v);
            return v.EnumerateArray().Select(e => e.GetDouble()).ToArray();
        }

        /// <summary>{height, width}, {shortest_edge} or a bare int (square, or shortest edge for CLIP's size as transformers' get_size_dict does).</summary>
        public ImageResizeSize? Size(string name, bool squareInt)
        {
            if (Get(name) is not { } v) return null;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n > 0)
                return squareInt ? ImageResizeSize.Square(n) : ImageResizeSize.Shortest(n);
            if (v.ValueKind != JsonValueKind.Object) throw Bad(name, "an object like {\"height\": 384, \"width\": 384} or {\"shortest_edge\": 336}", v);
            int? h = Positive(v, "height", name), w = Positive(v, "width", name), s = Positive(v, "shortest_edge", name);
            if (h is not null && w is not null) return ImageResizeSize.Exact(h.Value, w.Value);
            if (s is not null) return ImageResizeSize.Shortest(s.Value);
            throw Bad(name, "an object with \"height\" and \"width\", or \"shortest_edge\"", v);
        }

        private int? Positive(JsonElement obj, string key, string name)
        {
            if (!obj.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i > 0) return i;
            throw new MantisException($"image processor config '{source}': \"{name}.{key}\" must be a positive integer, got {v.GetRawText()}");
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Kind} resize={DoResize} size={Size} resample={Resample} crop={(DoCenterCrop ? CropSize?.ToString() : "no")} rescale={(DoRescale ? RescaleFactor : 1)} normalize={DoNormalize} mean=[{string.Join(", ", ImageMean)}] std=[{string.Join(", ", ImageStd)}]");
}
