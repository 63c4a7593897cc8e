using MantisNative.Autograd;
using MantisNative.Backends.Cuda;
using MantisNative.IO;
using MantisNative.Tensors;

namespace MantisNative.Cli;

/// <summary>
/// `mantis forward --model DIR --data FILE.safetensors (alias --inputs) --output FILE.safetensors [--grads] [--train-vision]`:
/// runs the model on input_ids / pixel_values / labels (attention_mask optional) and writes logits, loss,
/// image_features and, with --grads, grad.&lt;name&gt; of every trainable parameter. For comparing with a PyTorch dump.
/// `--device cpu|cuda[:N]|auto` (default cpu) picks where the model runs; auto takes the GPU when a driver and a
/// device exist. On a GPU the weights are BF16 and every output is copied back to the host for writing.
/// </summary>
public static class ForwardCommand
{
    /// <summary>The inputs file is the command's data (README "Command-line flags"); --inputs is its older spelling.</summary>
    public static readonly CommandFlags Flags = new("forward", "run a model on a safetensors of inputs, write logits/loss/grads",
        new[]
        {
            CliOption.Needed("model", "DIR", "Hugging Face model folder (config.json + safetensors)"),
            CliOption.Needed("data", "FILE.safetensors", "inputs: input_ids, optional pixel_values, labels, attention_mask"),
            CliOption.Needed("output", "FILE.safetensors", "where logits, loss, image_features (and grad.<name>) go"),
            CliOption.Value("device", "cpu|cuda[:N]|auto", "where the model runs; auto takes the GPU when a driver and a device exist", "cpu"),
            CliOption.Switch("grads", "also backpropagate the loss and write grad.<name> of every trainable parameter (needs labels)"),
            CliOption.Switch("train-vision", "count the vision tower as trainable, so --grads writes its gradients too"),
            LoadOptions.AllowUnusedWeightsOption,
        },
        new Dictionary<string, string> { ["inputs"] = "data" })
    {
        Notes = new[] { "For comparing with a PyTorch dump of the same model and inputs. On a GPU the weights are bf16 and every output is copied back to the host." },
        Examples = new[] { "forward --model tiny-siglip-llama --data inputs.safetensors --output out.safetensors --grads" },
    };

    public static int Run(string[] argv)
    {
        var a = Flags.Parse(argv);
        string modelDir = a.Require("model"), inputs = a.Require("data"), output = a.Require("output");
        if (a.Positional.Count > 0) throw new MantisException($"mantis forward: unexpected argument '{a.Positional[0]}'");
        OutputPath.EnsureWritable(output);
        var probe = new DriverGpuProbe();
        var device = DeviceSelection.Resolve(a.Get("device"), probe);
        if (a.Get("device") is "auto")
            Console.Error.WriteLine(device.IsCpu ? $"device: cpu (auto: {probe.UnavailableReason?.Split('\n')[0]})" : $"device: {device}");

        using var loaded = ModelFiles.Load(modelDir, LoadOptions.From(a));
        var model = loaded.Model;
        if (device.IsCuda)
        {
            DeviceSelection.Prepare(device);
            model.To(device);
        }
        model.SetTrainable(vision: a.Flag("train-vision"), projector: true, language: true);
        using var src = SafetensorsFile.Open(inputs);
        if (!src.Contains("input_ids")) throw new MantisException($"{inputs}: no tensor named 'input_ids'");
        var idsInfo = src.GetInfo("input_ids");
        int batch = idsInfo.Rank == 2 ? (int)idsInfo.Dim(0) : 1;
        var ids = src.ReadInt32("input_ids");
        int[]? labels = src.Contains("labels") ? src.ReadInt32("labels") : null;
        bool[]? mask = src.Contains("attention_mask") ? src.ReadInt32("attention_mask").Select(m => m != 0).ToArray() : null;
        Tensor? pixels = null;
        if (src.Contains("pixel_values"))
        {
            var info = src.GetInfo("pixel_values");
            pixels = Tensor.FromSpan(src.ReadFloat32("pixel_values"), new Shape(info.ShapeSpan.ToArray().Select(d => (int)d).ToArray()));
        }
        if (pixels is not null && device.IsCuda)
        {
            var host = pixels;
            pixels = host.To(device);
            host.Dispose();
        }
        bool grads = a.Flag("grads");
        if (grads && labels is null) throw new MantisException($"mantis forward: --grads needs 'labels' in {inputs}");

        var outWriter = new SafetensorsWriter();
        using (grads ? null : Tape.NoGrad())
        {
            var result = model.Forward(ids, batch, pixels, labels, mask);
            Add(outWriter, "logits", result.Logits);
            if (result.ImageFeatures is not null) Add(outWriter, "image_features", result.ImageFeatures);
            if (result.Loss is not null)
            {
                outWriter.AddFloat32("loss", Array.Empty<long>(), new[] { result.Loss.Item() });
                if (grads)
                {
                    Tape.Backward(result.Loss);
                    foreach (var p in model.TrainableParameters)
                        if (p.Tensor.Grad is not null) Add(outWriter, "grad." + p.Name, p.Tensor.Grad);
                }
            }
            Console.WriteLine($"logits {result.Logits.Shape}" + (result.Loss is null ? "" : $", loss {result.Loss.Item():G9}"));
        }
        pixels?.Dispose();
        outWriter.Save(output);
        Console.WriteLine($"wrote {output} ({outWriter.Count} tensors)");
        return 0;
    }

    private static void Add(SafetensorsWriter w, string name, Tensor t) =>
        w.AddFloat32(name, t.Shape.ToArray().Select(d => (long)d).ToArray(), t.ToArray());
}
