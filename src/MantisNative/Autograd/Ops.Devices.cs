using MantisNative.Backends;
using MantisNative.Backends.Cpu;
using MantisNative.Tensors;

namespace MantisNative.Autograd;

// Device dispatch: each op asks whether its inputs live on a device (one field check per input on the CPU path)
// and runs that device's primitives. Inputs on different devices are an error, never a silent copy.
public static partial class Ops
{
    private static IOpPrimitives On(Tensor a) => a.IsOnDevice ? DevicePrimitives(a.Device) : CpuOps.Instance;

    private static IOpPrimitives On(string op, Tensor a, Tensor? b)
    {
        if (!a.IsOnDevice && !(b?.IsOnDevice ?? false)) return CpuOps.Instance;
        RequireSameDevice(op, a, b);
        return DevicePrimitives(a.Device);
    }

    private static IOpPrimitives On(string op, Tensor a, Tensor? b, Tensor? c)
    {
        if (!a.IsOnDevice && !(b?.IsOnDevice ?? false) && !(c?.IsOnDevice ?? false)) return CpuOps.Instance;
        RequireSameDevice(op, a, b, c);
        return DevicePrimitives(a.Device);
    }

    private static IOpPrimitives On(string op, IReadOnlyList<Tensor> xs)
    {
        bool any = false;
        for (int i = 0; i < xs.Count; i++) any |= xs[i].IsOnDevice;   // indexed: no enumerator allocation on the CPU path
        if (!any) return CpuOps.Instance;
        RequireSameDevice(op, xs.ToArray());
        return DevicePrimitives(xs[0].Device);
    }

    /// <summary>The primitives of a device's backend (opening it on first use).</summary>
    private static IOpPrimitives DevicePrimitives(Device device) =>
        (DeviceBackends.Get(device) as IComputeBackend)?.Primitives
        ?? throw new MantisException($"{device} is served by a backend that runs no ops (it is not CUDA); no kernels can run there");

    /// <summary>Throws naming the op and the devices when the inputs are not all on one device.</summary>
    public static void RequireSameDevice(string op, params Tensor?[] inputs)
    {
        Device? first = null;
        foreach (var t in inputs)
        {
            if (t is null) continue;
            first ??= t.Device;
            if (t.Device != first)
                throw new MantisException($"{op}: inputs are on different devices ({first} and {t.Device}); " +
                                          "copy them explicitly with Tensor.To(Device) first");
        }
    }

    /// <summary>Adds a backward primitive's gradient into its input (when the input wants one) and frees it.</summary>
    private static void Accumulate(Tensor input, Tensor? grad)
    {
        if (grad is null) return;
        bool taken = false;
        try { taken = input.RequiresGrad && input.AccumulateOwnedGrad(grad); }
        finally { if (!taken) grad.Dispose(); } // taken: grad is input.Grad now
    }

    /// <summary>One AdamW step (the contract in <see cref="AdamWStep"/>) on the slots' device; every slot on one device.</summary>
    public static void AdamW(IReadOnlyList<AdamWSlot> slots, AdamWStep step)
    {
        if (slots.Count == 0) return;
        var device = slots[0].Master.Device;
        foreach (var s in slots)
            if (s.Master.Device != device || s.Grad.Device != device || s.M.Device != device || s.V.Device != device)
                throw new MantisException($"AdamW: parameter state is on {s.Master.Device} and {s.Grad.Device}, expected all on {device}");
        var be = device.IsCpu ? CpuOps.Instance : DevicePrimitives(device);
        be.AdamW(slots, step);
    }

    /// <summary>
    /// The squared global L2 norm of <paramref name="grads"/> (all on one device) as an F32 [1] tensor on that device,
    /// deterministic (see <see cref="IOptimizerPrimitives.GradSquaredNorm"/>): what global-norm clipping reads.
    /// </summary>
    public static Tensor GradSquaredNorm(IReadOnlyList<Tensor> grads)
    {
        if (grads.Count == 0) return Tensor.FromArray(new[] { 0f }, 1);
        return On("GradSquaredNorm", grads).GradSquaredNorm(grads);
    }
}
