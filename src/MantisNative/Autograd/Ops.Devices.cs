using MantisNative.Tensors;

namespace MantisNative.Autograd;

// Device dispatch: each op asks whether its inputs live on a device (one field check per input on the CPU path)
// and hands device inputs to Backends/Cuda/CudaOps. Inputs on different devices are an error, never a silent copy.
public static partial class Ops
{
    private static bool OnDevice(Tensor a) => a.IsOnDevice;

    private static bool OnDevice(string op, Tensor a, Tensor? b)
    {
        if (!a.IsOnDevice && !(b?.IsOnDevice ?? false)) return false;
        RequireSameDevice(op, a, b);
        return true;
    }

    private static bool OnDevice(string op, Tensor a, Tensor? b, Tensor? c)
    {
        if (!a.IsOnDevice && !(b?.IsOnDevice ?? false) && !(c?.IsOnDevice ?? false)) return false;
        RequireSameDevice(op, a, b, c);
        return true;
    }

    private static bool OnDevice(string op, IReadOnlyList<Tensor> xs)
    {
        bool any = false;
        for (int i = 0; i < xs.Count; i++) any |= xs[i].IsOnDevice;   // indexed: no enumerator allocation on the CPU path
        if (!any) return false;
        RequireSameDevice(op, xs.ToArray());
        return true;
    }

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
}
