using MantisNative.Backends.Cuda;
using MantisNative.Data.Loading;
using MantisNative.Models;
using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>A micro-batch and its pixels on the training device (the batch's own host pixels on the CPU).</summary>
internal sealed class StepBatch : IDisposable
{
    public StepBatch(Batch batch, Tensor? pixels, bool ownsPixels) => (Batch, Pixels, _ownsPixels) = (batch, pixels, ownsPixels);

    private readonly bool _ownsPixels;
    public Batch Batch { get; }
    public Tensor? Pixels { get; }

    public void Dispose()
    {
        if (_ownsPixels) Pixels?.Dispose();
        Batch.Dispose();
    }
}

/// <summary>
/// What a training step does differently on the host and on a GPU: where a batch's pixels go, how the micro-batch
/// losses are summed, and how the global gradient norm is taken and the clip applied. The loop itself (schedule,
/// accumulation, skipping, logs, checkpoints) is <see cref="Trainer"/>'s, the same on every device.
/// </summary>
internal abstract class StepDevice : IDisposable
{
    public abstract Device Device { get; }

    /// <summary>The next micro-batch.</summary>
    public abstract StepBatch Next();

    /// <summary>The data position after the last batch <see cref="Next"/> handed out (what a checkpoint resumes from).</summary>
    public abstract DataPosition Position { get; }

    /// <summary>Adds a micro-batch loss to the step's sum; false when it is known non-finite now (the host knows, a GPU
    /// learns it at <see cref="TakeLossSum"/>).</summary>
    public abstract bool AddLoss(Tensor loss);

    /// <summary>The summed loss of the step's micro-batches (NaN or infinite when one was), and a fresh sum.</summary>
    public abstract double TakeLossSum();

    /// <summary>The global L2 norm of the gradients before clipping; the clip coefficient (min(1, max / (norm + 1e-6)),
    /// torch's clip_grad_norm_) is either applied to the gradients (host) or returned for AdamW to apply (GPU).</summary>
    public abstract double Clip(IReadOnlyList<Tensor> parameters, double maxNorm, out float gradScale);

    /// <summary>Peak device bytes in use since the last call (0 on the host), starting a new peak.</summary>
    public virtual long TakePeakBytes() => 0;

    /// <summary>Synchronising host copies (uploads, reads) and uploads staged without a wait since the last call,
    /// starting new counts (0 on the host).</summary>
    public virtual (long Uploads, long Reads, long Staged) TakeSyncCopies() => (0, 0, 0);

    public virtual void Dispose() { }

    /// <summary>
    /// The device <paramref name="cfg"/>.Device names (auto: a GPU when one is usable, else the host), with the model
    /// placed there: on a GPU the optimizer takes exact fp32 masters of the trainable F32 weights first (a LoRA run's:
    /// the adapters', <paramref name="lora"/>), then every weight moves as BF16, adapters included.
    /// <paramref name="note"/> says which device and why.
    /// </summary>
    public static StepDevice Open(TrainingConfig cfg, MantisModel model, DataLoader data, AdamW optimizer, out string note, Nn.Lora.LoraAdapterSet? lora = null)
    {
        // a LoRA base format without a GPU path: refused on an explicit cuda device, the CPU under auto
        var device = LoraOnDevice.Resolve(cfg, out note);
        if (device.IsCpu)
        {
            if (model.Device.IsCuda) model.To(Device.Cpu);
            lora?.MoveTo(Device.Cpu);
            return new HostStepDevice(data);
        }
        RequireAttentionKernels(model.Config, device);
        DeviceSelection.Prepare(device);
        if (model.Device != device)
        {
            optimizer.TakeMasters((lora?.Parameters ?? model.TrainableParameters).Select(p => (p.Name, p.Tensor)), device);
            model.To(device);
            lora?.MoveTo(device);
        }
        // grad_dtype bf16: gradients rounded once into BF16 per contribution, the update on the fp32 master
        foreach (var p in model.Parameters.All) p.Tensor.LeafGradDType = cfg.GradDtype;
        return new CudaStepDevice(CudaBackend.Get(device), data);
    }

    /// <summary>Refuses, before anything moves, a model whose attention head dims have no CUDA kernel (rather than failing
    /// inside the first forward).</summary>
    private static void RequireAttentionKernels(Models.Config.LlavaConfig c, Device device)
    {
        foreach (var (dim, what) in new[]
                 {
                     (c.Text.HeadDim, $"text_config.head_dim {c.Text.HeadDim}"),
                     (c.Vision.HeadDim, $"vision_config.hidden_size {c.Vision.HiddenSize} / num_attention_heads {c.Vision.NumAttentionHeads} = head dim {c.Vision.HeadDim}"),
                 })
            if (!AttentionLaunch.Supports(dim) && !FlashAttentionLaunch.Supports(dim))
                throw new MantisException($"cannot train on {device}: {what} has no CUDA attention kernel (head dims {string.Join(", ", AttentionLaunch.HeadDims.Union(FlashAttentionLaunch.HeadDims).Order())}); " +
                                          "train with --device cpu, or a model whose head dims are among those");
    }
}

/// <summary>The CPU engine: losses read as they come (a non-finite one skips its backward), gradients clipped in place.</summary>
internal sealed class HostStepDevice : StepDevice
{
    private readonly DataLoader _data;
    private double _sum;

    public HostStepDevice(DataLoader data) => _data = data;

    public override Device Device => Device.Cpu;

    public override StepBatch Next()
    {
        var b = _data.Next();
        return new StepBatch(b, b.Pixels, ownsPixels: false);
    }

    public override DataPosition Position => _data.Position;

    public override bool AddLoss(Tensor loss)
    {
        float l = loss.Item();
        if (!float.IsFinite(l)) return false;
        _sum += l;
        return true;
    }

    public override double TakeLossSum()
    {
        double s = _sum;
        _sum = 0;
        return s;
    }

    public override double Clip(IReadOnlyList<Tensor> parameters, double maxNorm, out float gradScale)
    {
        gradScale = 1f;
        return GradientClipping.Clip(parameters, maxNorm);
    }
}
