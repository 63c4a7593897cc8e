using MantisNative.Autograd;
using MantisNative.Models.Config;
using MantisNative.Nn;
using MantisNative.Tensors;

namespace MantisNative.Models;

/// <summary>What one forward pass returns.</summary>
public sealed record MantisOutput(Tensor Logits, Tensor? Loss, Tensor? ImageFeatures, ImageTokenLayout Layout);

/// <summary>
/// LlavaForConditionalGeneration: vision tower -> selected layer and strategy -> projector -> features spliced
/// at the image-token positions of the Llama decoder's input embeddings.
/// </summary>
public sealed class MantisModel : IDisposable
{
    public LlavaConfig Config { get; }
    public ParameterStore Parameters { get; }
    public VisionTower Vision { get; }
    public MultiModalProjector Projector { get; }
    public LlamaDecoder Language { get; }

    public MantisModel(LlavaConfig config, IWeightProvider weights, Func<string, DType>? saveDtype = null)
    {
        Config = config;
        // refuse a config that cannot fit before allocating any of it (a huge layer count dies with "Out of memory." otherwise)
        ModelMemoryPlan.For(config).EnsureFits(MemoryBudget.AvailableHostBytes(), "model config",
            weights is IFrozenWeightProvider frozen ? frozen.PlannedBytesPerValue : sizeof(float));
        Parameters = new ParameterStore(weights, saveDtype ?? (_ => DType.F32));
        Parameters.CurrentPart = ModelPart.Vision;
        Vision = VisionTower.Create(Parameters, config.Vision);
        Parameters.CurrentPart = ModelPart.Projector;
        Projector = new MultiModalProjector(Parameters, config);
        Parameters.CurrentPart = ModelPart.Language;
        Language = new LlamaDecoder(Parameters, config.Text);
        SetTrainable(vision: false, projector: true, language: true);
    }

    /// <summary>Chooses which parts receive gradients (the vision tower is frozen by default).</summary>
    public void SetTrainable(bool vision, bool projector, bool language)
    {
        foreach (var p in Parameters.All)
        {
            p.Tensor.RequiresGrad = p.Part switch { ModelPart.Vision => vision, ModelPart.Projector => projector, _ => language };
            if (!p.Tensor.RequiresGrad) p.Tensor.ZeroGrad();
        }
    }

    /// <summary>The device the parameters live on.</summary>
    public Device Device => Parameters.All.Count == 0 ? Device.Cpu : Parameters.All[0].Tensor.Device;

    /// <summary>
    /// Moves every parameter to <paramref name="device"/> in place (the device's <see cref="Device.ComputeType"/>:
    /// BF16 on a GPU, F32 on the host); inputs (pixels) must then be moved by the caller. Gradients are dropped.
    /// </summary>
    public MantisModel To(Device device)
    {
        if (!device.IsCpu && Parameters.Frozen.Count > 0)
            throw new MantisException($"this model holds {Parameters.Frozen.Count} weights frozen as {Parameters.Frozen[0].Matrix.Format.Name()} for the CPU engine; " +
                                      $"they cannot move to {device} (load the model with --weights f32 to run it there)");
        foreach (var p in Parameters.All) p.Tensor.MoveTo(device);
        return this;
    }

    public IEnumerable<Parameter> TrainableParameters => Parameters.All.Where(p => p.Tensor.RequiresGrad);

    /// <summary>Image features [N, tokensPerImage, text hidden] of pixels [N, C, H, W].</summary>
    public Tensor ImageFeatures(Tensor pixels)
    {
        var selected = Vision.HiddenState(pixels, Config.VisionFeatureLayerIndex);
        if (Config.VisionFeatureSelectStrategy == VisionFeatureSelectStrategy.Default)
            selected = Ops.Slice(selected, 1, 1, selected.Dim(1) - 1);
        return Projector.Forward(selected);
    }

    /// <summary>
    /// The forward pass. <paramref name="inputIds"/> is [batch * T] row-major; pixels [N, C, H, W] or null
    /// when no image; labels (same layout, -100 ignored) give the shifted cross-entropy loss.
    /// </summary>
    public MantisOutput Forward(int[] inputIds, int batch, Tensor? pixels, int[]? labels = null, bool[]? attentionMask = null)
    {
        int images = pixels?.Dim(0) ?? 0;
        if (Device.IsCpu)
            ActivationMemoryPlan.EnsureFits(Config, batch, batch == 0 ? 0 : inputIds.Length / batch, images, Tape.IsRecording, MemoryBudget.AvailableHostBytes());
        var layout = ImageTokenLayout.Build(inputIds, batch, labels, attentionMask, Config.ImageTokenIndex, images,
            Config.ImageTokensPerImage, Config.Text.PadTokenId ?? Config.PadTokenId ?? 0);
        var features = pixels is null ? null : ImageFeatures(pixels);
        var embeds = Embed(layout, features);
        var positions = new int[layout.Ids.Length];
        for (int i = 0; i < positions.Length; i++) positions[i] = i % layout.Length;
        var hidden = Language.Forward(embeds, positions, layout.Valid.All(v => v) ? null : layout.Valid);
        var logits = Language.Logits(hidden);
        Tensor? loss = layout.Labels is null ? null : ShiftedLoss(logits, layout);
        return new MantisOutput(logits, loss, features, layout);
    }

    /// <summary>Token embeddings with the image features written over the image-token positions: [B, T, hidden].</summary>
    internal Tensor Embed(ImageTokenLayout layout, Tensor? features)
    {
        int d = Config.Text.HiddenSize, n = layout.Ids.Length;
        // image ids are looked up as id 0 (their rows are replaced below, so no gradient reaches the table)
        var lookup = layout.Ids.Select((id, i) => layout.FeatureRow[i] >= 0 ? 0 : id).ToArray();
        var text = Language.Embed(lookup);
        if (features is null || layout.FeatureRow.All(f => f < 0)) return Ops.Reshape(text, layout.Batch, layout.Length, d);
        var flatFeatures = Ops.Reshape(features, -1, d);
        var all = Ops.Concat(new[] { text, flatFeatures }, 0);
        var pick = new int[n];
        for (int i = 0; i < n; i++) pick[i] = layout.FeatureRow[i] >= 0 ? n + layout.FeatureRow[i] : i;
        return Ops.Reshape(Ops.IndexSelect(all, pick), layout.Batch, layout.Length, d);
    }

    /// <summary>Mean cross-entropy of logits[t] against labels[t+1], skipping -100 and padded targets.</summary>
    private static Tensor ShiftedLoss(Tensor logits, ImageTokenLayout layout)
    {
        int t = layout.Length;
        var targets = new int[layout.Labels!.Length];
        for (int b = 0; b < layout.Batch; b++)
            for (int i = 0; i < t; i++)
                targets[b * t + i] = i + 1 < t && layout.Valid[b * t + i + 1] ? layout.Labels[b * t + i + 1] : Ops.IgnoreIndex;
        return Ops.CrossEntropy(logits, targets);
    }

    public void Dispose() => Parameters.Dispose();
}
