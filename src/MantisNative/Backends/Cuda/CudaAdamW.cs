using MantisNative.Tensors;

namespace MantisNative.Backends.Cuda;

/// <summary>
/// AdamW on a CUDA device with the fused multi-tensor kernel (kernels/adamw.cu): fp32 master weights and fp32
/// moments on the device, the BF16 parameter the forward reads rewritten from the master in the same launch.
/// Same arithmetic and call shape as the CPU <c>Training.AdamW.Update</c>, so a trainer picks one by the model's
/// device. One launch per (weight decay, gradient dtype) group.
/// </summary>
public sealed class CudaAdamW : IDisposable
{
    private readonly Dictionary<string, (Tensor Master, Tensor M, Tensor V)> _state = new(StringComparer.Ordinal);

    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Eps { get; init; } = 1e-8;

    /// <summary>Completed steps (bias correction uses Step after increment).</summary>
    public int Step { get; set; }

    /// <summary>Per parameter name: the fp32 master weight and the two moments (device tensors, F32).</summary>
    public IReadOnlyDictionary<string, (Tensor Master, Tensor M, Tensor V)> State => _state;

    /// <summary>
    /// Takes exact fp32 masters from host F32 parameters: call before <c>model.To(device)</c>, else the first
    /// update starts the master from the BF16 weights.
    /// </summary>
    public void TakeMasters(IEnumerable<(string Name, Tensor Param)> hostParameters, Device device)
    {
        foreach (var (name, p) in hostParameters)
            if (!_state.ContainsKey(name)) _state[name] = NewState(p, device);
    }

    private static (Tensor, Tensor, Tensor) NewState(Tensor p, Device device) => TensorScope.Unscoped(() =>
        (p.To(device, DType.F32), Tensor.ZerosOn(device, p.Shape, DType.F32), Tensor.ZerosOn(device, p.Shape, DType.F32)));

    /// <summary>One update of every (name, parameter, weight decay) whose gradient is set; grads are multiplied by
    /// <paramref name="gradScale"/> first (the clip coefficient from <see cref="GlobalGradNorm"/>).</summary>
    public void Update(IEnumerable<(string Name, Tensor Param, double WeightDecay)> parameters, double lr, float gradScale = 1f)
    {
        Step++;
        float bc1 = (float)(1 - Math.Pow(Beta1, Step)), bc2 = (float)(1 - Math.Pow(Beta2, Step));
        var work = new List<(Tensor P, Tensor G, (Tensor Master, Tensor M, Tensor V) S, double Wd)>();
        foreach (var (name, p, wd) in parameters)
        {
            if (p.Grad is null) continue;
            if (!p.IsOnDevice || p.DType != DType.BF16)
                throw new MantisException($"CudaAdamW: parameter {name} is {p.DType} on {p.Device}; it updates BF16 device parameters");
            if (!_state.TryGetValue(name, out var s)) _state[name] = s = NewState(p, p.Device);
            work.Add((p, p.Grad, s, wd));
        }
        foreach (var group in work.GroupBy(w => (w.Wd, w.G.DType, w.P.Device)))
        {
            var be = CudaBackend.Get(group.Key.Device);
            var items = group.ToList();
            using var sizes = DeviceBuffer.FromHost<long>(be.Context, items.Select(w => w.P.Numel).ToArray());
            using var masters = Pointers(be, items.Select(w => w.S.Master));
            using var copies = Pointers(be, items.Select(w => w.P));
            using var grads = Pointers(be, items.Select(w => w.G));
            using var ms = Pointers(be, items.Select(w => w.S.M));
            using var vs = Pointers(be, items.Select(w => w.S.V));
            long longest = items.Max(w => w.P.Numel);
            uint blocks = LaunchGeometry.GridStrideBlocks(longest, LaunchGeometry.DefaultBlock, be.Context.Device.MultiprocessorCount);
            string fn = group.Key.DType == DType.F32 ? "adamw_multi_tensor_f32_grad" : "adamw_multi_tensor_bf16_grad";
            be.Launch("adamw", fn, new Dim3(blocks, (uint)items.Count), new KernelArgs()
                .Ptr(sizes).Ptr(masters).Ptr(copies).Ptr(grads).Ptr(ms).Ptr(vs)
                .Float((float)lr).Float((float)Beta1).Float((float)Beta2).Float((float)Eps).Float((float)group.Key.Wd)
                .Float(bc1).Float(bc2).Float(gradScale));
            be.Synchronize();   // the pointer arrays are freed on return
        }
    }

    private static DeviceBuffer Pointers(CudaBackend be, IEnumerable<Tensor> ts) =>
        DeviceBuffer.FromHost<ulong>(be.Context, ts.Select(t => t.DevicePointer).ToArray());

    /// <summary>The global L2 norm of device gradients (deterministic two-pass kernels), read to the host.</summary>
    public static float GlobalGradNorm(IReadOnlyList<Tensor> grads)
    {
        if (grads.Count == 0) return 0f;
        var be = CudaBackend.Get(grads[0].Device);
        const int blocksPerTensor = 8;
        float total = 0;
        foreach (var group in grads.GroupBy(g => g.DType))
        {
            var items = group.ToList();
            using var sizes = DeviceBuffer.FromHost<long>(be.Context, items.Select(g => g.Numel).ToArray());
            using var ptrs = Pointers(be, items);
            using var partials = be.Context.Allocate((long)blocksPerTensor * items.Count * 4);
            using var sumsq = be.Context.Allocate(4);
            using var norm = be.Context.Allocate(4);
            be.Launch("grad_norm", group.Key == DType.F32 ? "grad_sumsq_partial_f32" : "grad_sumsq_partial_bf16",
                new Dim3(blocksPerTensor, (uint)items.Count), new KernelArgs().Ptr(sizes).Ptr(ptrs).Ptr(partials));
            be.Launch("grad_norm", "grad_norm_finalize", 1,
                new KernelArgs().Ptr(partials).Int(items.Count).Int(blocksPerTensor).Ptr(0UL).Ptr(sumsq).Ptr(norm));
            var s = new float[1];
            sumsq.CopyTo(s.AsSpan());
            total += s[0];
        }
        return MathF.Sqrt(total);
    }

    /// <summary>The clip coefficient min(1, maxNorm / (norm + 1e-6)) to pass as gradScale.</summary>
    public static float ClipScale(float norm, float maxNorm) => maxNorm <= 0 ? 1f : Math.Min(1f, maxNorm / (norm + 1e-6f));

    public void Dispose()
    {
        foreach (var (master, m, v) in _state.Values) { master.Dispose(); m.Dispose(); v.Dispose(); }
        _state.Clear();
    }
}
