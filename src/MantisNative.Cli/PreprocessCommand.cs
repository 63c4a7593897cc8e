using MantisNative.Data.Images;
using MantisNative.IO;

namespace MantisNative.Cli;

/// <summary>
/// `mantis preprocess --processor siglip|clip [--size N] | --processor-config preprocessor_config.json, --output FILE.safetensors IMAGE...`:
/// each image's processed [3, H, W] float32 tensor, named by its file name (for comparing with transformers' processor).
/// </summary>
public static class PreprocessCommand
{
    private const int SiglipSize = 384, ClipSize = 336;

    /// <summary>Images are positional or --image (as in chat, README "Command-line flags"), both repeatable. The file is a
    /// processor config, so --processor-config (train's --config is a training config); --config is its older spelling.</summary>
    public static readonly CommandFlags Flags = new("preprocess", "write the image processor's output for each image as safetensors",
        new[]
        {
            CliOption.Value("processor", "siglip|clip", "the image processor (or give --processor-config)"),
            CliOption.Value("processor-config", "FILE", "a preprocessor_config.json to take the processor and its size from"),
            CliOption.Value("size", "PX", "side the image is resized to", $"{SiglipSize} for siglip, as SigLIP-so400m; {ClipSize} for clip, as CLIP ViT-L/14-336"),
            CliOption.Needed("output", "FILE.safetensors", "one float32 [3, H, W] tensor per image, named by its file name"),
            CliOption.Value("image", "FILE", "an image, repeatable (images may also be given without --image)"),
        },
        new Dictionary<string, string> { ["config"] = "processor-config" })
    {
        Usage = new[] { "preprocess (--processor siglip|clip [--size PX] | --processor-config FILE) --output FILE.safetensors (IMAGE... | --image FILE...)" },
        Notes = new[] { "For comparing with transformers' image processor on the same files." },
        Examples = new[] { "preprocess --processor siglip --output pixels.safetensors a.png b.jpg", "preprocess --processor-config model/preprocessor_config.json --output px.safetensors --image a.png" },
    };

    public static int Run(string[] argv)
    {
        var a = Flags.Parse(argv);
        var output = a.Require("output");
        var images = a.GetAll("image").Concat(a.Positional).ToList();
        if (images.Count == 0) throw new MantisException("mantis preprocess: no IMAGE files given");
        var processor = Processor(a);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in images)
        {
            if (Directory.Exists(path)) throw new MantisException($"mantis preprocess: '{path}' is a folder, not an image file");
            if (!File.Exists(path)) throw new MantisException($"mantis preprocess: image file '{path}' not found");
            var name = Path.GetFileName(path);
            if (names.TryGetValue(name, out var other))
                throw new MantisException($"mantis preprocess: '{path}' and '{other}' have the same file name, which names the tensor");
            names[name] = path;
        }
        OutputPath.EnsureWritable(output);

        var writer = new SafetensorsWriter();
        writer.Metadata["processor"] = processor.Config.ToString();
        foreach (var (name, path) in names)
        {
            var img = processor.ProcessFile(path);
            writer.AddFloat32(name, new long[] { ProcessedImage.Channels, img.Height, img.Width }, img.Data);
        }
        writer.Save(output);
        Console.WriteLine($"wrote {output} ({names.Count} image(s), {processor.Config})");
        return 0;
    }

    private static ImageProcessor Processor(CliArgs a)
    {
        var kindText = a.Get("processor");
        ImageProcessorKind? kind = kindText switch
        {
            null => null,
            "siglip" => ImageProcessorKind.Siglip,
            "clip" => ImageProcessorKind.Clip,
            _ => throw new MantisException($"mantis preprocess: --processor must be siglip or clip, got '{kindText}'"),
        };
        if (a.Get("processor-config") is { } config)
        {
            if (a.Has("size")) throw new MantisException("mantis preprocess: give --size or --processor-config, not both (the config holds the size)");
            if (!File.Exists(config)) throw new MantisException($"mantis preprocess: config file '{config}' not found");
            var p = ImageProcessor.FromConfig(config);
            if (kind is not null && p.Config.Kind != kind)
                throw new MantisException($"mantis preprocess: --processor {kindText} but {config} describes a {p.Config.Kind} processor");
            return p;
        }
        if (kind is null) throw new MantisException("mantis preprocess: give --processor siglip|clip or --processor-config FILE");
        int size = a.GetInt("size", kind == ImageProcessorKind.Siglip ? SiglipSize : ClipSize);
        if (size < 1 || size > Data.Images.ImageResizeSize.MaxSide)
            throw new MantisException($"mantis preprocess: --size {size} is out of range (1..{Data.Images.ImageResizeSize.MaxSide})");
        return ImageProcessor.ForVisionConfig(kind.Value, size);
    }
}
