using MantisNative.Data.Images;
using MantisNative.IO;

namespace MantisNative.Cli;

/// <summary>
/// `mantis preprocess --processor siglip|clip [--size N] | --processor-config preprocessor_config.json, --output FILE.safetensors IMAGE...`:
/// each image's processed [3, H, W] float32 tensor, named by its file name (for comparing with transformers' processor).
/// </summary>
public static class PreprocessCommand
{
    public const string Help = "image processor output as safetensors: --processor siglip|clip [--size N] | --processor-config FILE, --output FILE IMAGE...";

    /// <summary>Images are positional or --image (as in chat, README "Command-line flags"), both repeatable. The file is a
    /// processor config, so --processor-config (train's --config is a training config); --config is its older spelling.</summary>
    public static readonly CommandFlags Flags = new(new[] { "processor", "processor-config", "size", "output", "image" }, new[] { "help" },
        new Dictionary<string, string> { ["config"] = "processor-config" });

    public static int Run(string[] argv)
    {
        var a = Flags.Parse("preprocess", argv);
        if (a.Flag("help"))
        {
            Console.WriteLine("usage: mantis preprocess (--processor siglip|clip [--size N] | --processor-config preprocessor_config.json) --output FILE.safetensors (IMAGE... | --image IMAGE...)");
            Console.WriteLine("  default size: 384 (siglip, as SigLIP-so400m), 336 (clip, as CLIP ViT-L/14-336)");
            return 0;
        }
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
        int size = a.GetInt("size", kind == ImageProcessorKind.Siglip ? 384 : 336);
        if (size < 1 || size > Data.Images.ImageResizeSize.MaxSide)
            throw new MantisException($"mantis preprocess: --size {size} is out of range (1..{Data.Images.ImageResizeSize.MaxSide})");
        return ImageProcessor.ForVisionConfig(kind.Value, size);
    }
}
