using MantisNative.Autograd;
using MantisNative.Backends.Cuda;
using MantisNative.Data.Loading;
using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>
/// A training step on a CUDA device. The micro-batch losses add up in an F32 scalar on the device, the global
/// gradient norm's sum of squares is computed there (Ops.GradSquaredNorm: deterministic, kernels/grad_norm.cu), and the clip coefficient
/// goes to the fused AdamW as its gradient scale, so nothing rewrites the gradients: per optimizer step the host
/// reads two scalars (the loss sum and the squared norm) and nothing per tensor or per micro-batch. It must read them
/// each step, because a non-finite step is skipped and not counted by the optimizer (as on the host).
/// The next micro-batch's pixels are converted and copied from page-locked memory on a copy stream while the
/// current step runs (<see cref="PinnedUploader"/>); ids, targets and masks go with the model's own small uploads, which
/// the page-locked staging ring queues without a host wait (<see cref="PinnedStagingRing"/>).
/// </summary>
internal sealed class CudaStepDevice : StepDevice
{
    private sealed record Staged(Batch Batch, PinnedUploader.Pending? Pixels, DataPosition After);

    private readonly CudaBackend _be;
    private readonly DataLoader _data;
    private readonly PinnedUploader _uploader;
    private Staged? _staged;
    private DataPosition _position;
    private Tensor? _lossSum;

    public CudaStepDevice(CudaBackend backend, DataLoader data)
    {
        _be = backend;
        _data = data;
        _uploader = new PinnedUploader(backend);
        _position = data.Position;
    }

    public override Device Device => _be.Device;

    public override DataPosition Position => _position;

    public override StepBatch Next()
    {
        var current = _staged ?? Stage();
        _staged = null;
        var pixels = current.Pixels is null ? null : _uploader.Ready(current.Pixels);
        _position = current.After;
        // the following batch starts its copy now, before this one's forward is queued
        _staged = Stage();
        return new StepBatch(current.Batch, pixels, ownsPixels: true);
    }

    private Staged Stage()
    {
        var b = _data.Next();
        var after = _data.Position;
        try
        {
            var pixels = b.Pixels is null ? null : _uploader.Start(b.Pixels.Span, b.Pixels.Shape);
            return new Staged(b, pixels, after);
        }
        catch
        {
            b.Dispose();
            throw;
        }
    }

    public override bool AddLoss(Tensor loss)
    {
        _lossSum ??= TensorScope.Unscoped(() => Tensor.ZerosOn(_be.Device, new Shape(1), DType.F32));
        _be.AddInto(_lossSum, loss);
        return true;
    }

    public override double TakeLossSum()
    {
        if (_lossSum is null) return 0;
        double s = _lossSum.ToArray()[0];
        _lossSum.Dispose();
        _lossSum = null;
        return s;
    }

    public override double Clip(IReadOnlyList<Tensor> parameters, double maxNorm, out float gradScale)
    {
        gradScale = 1f;
        if (parameters.All(p => p.Grad is null)) return 0;
        double norm = GradientClipping.GlobalNorm(parameters);   // Ops.GradSquaredNorm on the device, one scalar read
        if (maxNorm > 0 && double.IsFinite(norm))
        {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1) gradScale = (float)coef;
        }
        return norm;
    }

    public override long TakePeakBytes()
    {
        var alloc = _be.Context.Allocator;
        long peak = alloc.PeakBytesInUse;
        alloc.ResetPeak();
        return peak;
    }

    public override (long Uploads, long Reads, long Staged) TakeSyncCopies() => _be.Context.SyncCopies.Take();

    public override void Dispose()
    {
        if (_staged is not null)
        {
            if (_staged.Pixels is not null) _uploader.Ready(_staged.Pixels).Dispose();
            _staged.Batch.Dispose();
            _staged = null;
        }
        _lossSum?.Dispose();
        _uploader.Dispose();
    }
}
