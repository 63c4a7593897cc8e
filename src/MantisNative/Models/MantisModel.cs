using MantisNative.Autograd;
using MantisNative.Models.Config;
using MantisNative.Nn;
using MantisNative.Tensors;

namespace MantisNative.Models;

/// <summary>What one forward pass returns.</summary>
public sealed record MantisOutput(Tensor Logits, Tensor? Loss, Tensor? ImageFeatures, ImageTokenLayout Layout);

/// <summary>What the training forward (<see cref="MantisModel.ForwardLoss"/>) returns: the F32 scalar loss and the token layout.</summary>
public sealed record MantisLoss(Tensor Loss, ImageTokenLayout Layout);

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
        var (hidden, features, layout) = Hidden(inputIds, batch, pixels, labels, attentionMask);
        var logits = Language.Logits(hidden);
        Tensor? loss = layout.Labels is null ? null : Ops.CrossEntropy(logits, ShiftedTargets(layout));
        return new MantisOutput(logits, loss, features, layout);
    }

    /// <summary>
    /// Whether <see cref="ForwardLoss"/> computes the LM head and the loss with the fused, chunked
    /// <see cref="Ops.LinearCrossEntropy(Tensor, Tensor, ReadOnlySpan{int}, int, int)"/> (no [tokens, vocab] logits nor
    /// their gradient) or as <see cref="Forward"/> does (Linear, then CrossEntropy). Null, the default: fused on a GPU,
    /// unfused on the CPU (the fused one equals it to fp32 rounding, not bit for bit; on the CPU the fused path's
    /// chunked GEMMs are no faster at the small vocabularies trained here).
    /// </summary>
    public bool? FusedLoss { get; set; }

    /// <summary>Rows per chunk of the fused loss; 0: from <see cref="Ops.LinearCrossEntropyChunkBytes"/>.</summary>
    public int FusedLossChunkRows { get; set; }

    /// <summary>
    /// Whether <see cref="ForwardLoss"/> splits a padded batch into length groups (<see cref="LengthGroups"/>), each
    /// padded only to its own longest row, and computes the LM head only on the rows that have a target (in
    /// instruction tuning ~1 position in 9 on the synthetic set). The loss and gradients are the padded batch's, to
    /// summation order. Null, the default: on the CPU; off on a GPU for now: there each group's fused loss would read
    /// its upstream gradient back to the host (only the root loss's seed is known to it, <see cref="Tape.KnownScalar"/>),
    /// a synchronising read per group, and a padded position costs a GPU little.
    /// </summary>
    public bool? LengthGrouping { get; set; }

    /// <summary>At most this many length groups (1: one group of the rows with a target, cut to the longest).</summary>
    public int MaxLengthGroups { get; set; } = 4;

    /// <summary>
    /// The training forward: the shifted cross-entropy of labels (same layout as <see cref="Forward"/>), without the
    /// logits (see <see cref="FusedLoss"/> and <see cref="LengthGrouping"/>).
    /// </summary>
    public MantisLoss ForwardLoss(int[] inputIds, int batch, Tensor? pixels, int[] labels, bool[]? attentionMask = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var layout = Layout(inputIds, batch, pixels, labels, attentionMask);
        if (LengthGrouping ?? Device.IsCpu) return new MantisLoss(GroupedLoss(layout, pixels), layout);
        var hidden = Decode(layout, pixels is null ? null : ImageFeatures(pixels));
        return new MantisLoss(Loss(hidden, ShiftedTargets(layout), divideBy: null), layout);
    }

    /// <summary>The loss of the rows with a target, decoded group by group, each group's sum divided by the batch's count.</summary>
    private Tensor GroupedLoss(ImageTokenLayout layout, Tensor? pixels)
    {
        var targets = ShiftedTargets(layout);
        int t = layout.Length, counted = 0;
        var rows = new List<int>();
        for (int b = 0; b < layout.Batch; b++)
        {
            int n = 0;
            for (int i = 0; i < t; i++) if (targets[b * t + i] != Ops.IgnoreIndex) n++;
            if (n > 0) rows.Add(b);
            counted += n;
        }
        // no answer token in the batch: a loss of 0 without a gradient, as CrossEntropy gives (nothing to decode)
        if (counted == 0) return Tensor.Scalar(0f).To(Device);
        var features = pixels is null ? null : ImageFeatures(pixels);
        Tensor? loss = null;
        foreach (var group in LengthGroups.Plan(rows, layout.UsedLengths(), MaxLengthGroups))
        {
            var part = layout.SelectRows(group.Rows, group.Length);
            var partTargets = ShiftedTargets(part);
            var hidden = Decode(part, features);
            var partLoss = Loss(TargetRows(hidden, partTargets, out var picked), picked, divideBy: counted);
            loss = loss is null ? partLoss : Ops.Add(loss, partLoss);
        }
        return loss!;
    }

    /// <summary>The hidden rows [n, D] whose target is not ignored, and their targets.</summary>
    private static Tensor TargetRows(Tensor hidden, int[] targets, out int[] picked)
    {
        var index = new List<int>();
        for (int i = 0; i < targets.Length; i++) if (targets[i] != Ops.IgnoreIndex) index.Add(i);
        picked = index.Select(i => targets[i]).ToArray();
        return Ops.IndexSelect(Ops.Reshape(hidden, -1, hidden.Dim(-1)), index.ToArray());
    }

    /// <summary>The LM head and the cross-entropy (fused or not, see <see cref="FusedLoss"/>), divided by <paramref name="divideBy"/> (null: the counted targets).</summary>
    private Tensor Loss(Tensor hidden, int[] targets, int? divideBy)
    {
        var lossTargets = LossTargets.Create(targets, Config.Text.VocabSize, Device, Ops.IgnoreIndex, divideBy);
        bool fused = FusedLoss ?? !Device.IsCpu;
        var loss = fused
            ? Ops.LinearCrossEntropy(hidden, Language.LmHead, lossTargets, chunkRows: FusedLossChunkRows)
            : Ops.CrossEntropy(Language.Logits(hidden), lossTargets);
        if (!Tape.IsRecording) lossTargets.Dispose();   // else the backward reads the ids
        return loss;
    }

    /// <summary>The final-norm hidden states [B, T, hidden] of a batch, the image features and the token layout.</summary>
    private (Tensor Hidden, Tensor? Features, ImageTokenLayout Layout) Hidden(int[] inputIds, int batch, Tensor? pixels, int[]? labels, bool[]? attentionMask)
    {
        var layout = Layout(inputIds, batch, pixels, labels, attentionMask);
        var features = pixels is null ? null : ImageFeatures(pixels);
        return (Decode(layout, features), features, layout);
    }

    /// <summary>Where the image features go in the batch (checked against the host memory first).</summary>
    private ImageTokenLayout Layout(int[] inputIds, int batch, Tensor? pixels, int[]? labels, bool[]? attentionMask)
    {
        int images = pixels?.Dim(0) ?? 0;
        if (Device.IsCpu)
            ActivationMemoryPlan.EnsureFits(Config, batch, batch == 0 ? 0 : inputIds.Length / batch, images, Tape.IsRecording, MemoryBudget.AvailableHostBytes());
        return ImageTokenLayout.Build(inputIds, batch, labels, attentionMask, Config.ImageTokenIndex, images,
            Config.ImageTokensPerImage, Config.Text.PadTokenId ?? Config.PadTokenId ?? 0);
    }

    /// <summary>The final-norm hidden states [B, T, hidden] of the layout's rows.</summary>
    private Tensor Decode(ImageTokenLayout layout, Tensor? features)
    {
        var embeds = Embed(layout, features);
        var positions = new int[layout.Ids.Length];
        for (int i = 0; i < positions.Length; i++) positions[i] = i % layout.Length;
        return Language.Forward(embeds, positions, layout.Valid.All(v => v) ? null : layout.Valid);
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

    /// <summary>The targets of logits[t]: labels[t+1], -100 past the end of a row and at padded positions.</summary>
    private static int[] ShiftedTargets(ImageTokenLayout layout)
    {
        int t = layout.Length;
        var targets = new int[layout.Labels!.Length];
        for (int b = 0; b < layout.Batch; b++)
            for (int i = 0; i < t; i++)
                targets[b * t + i] = i + 1 < t && layout.Valid[b * t + i + 1] ? layout.Labels[b * t + i + 1] : Ops.IgnoreIndex;
        return targets;
    }

    public void Dispose() => Parameters.Dispose();
}
