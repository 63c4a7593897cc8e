using MantisNative.Autograd;
using MantisNative.Backends;
using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>
/// AdamW with decoupled weight decay: the one optimizer, on every device. The arithmetic is the contract in
/// <see cref="AdamWStep"/> (torch.optim.AdamW's), run by the parameters' device as a primitive. fp32 master weights and
/// moments: on the host the F32 parameter is its own master; on a GPU the optimizer keeps an F32 master per BF16
/// parameter and rewrites the parameter from it. Moments can be saved and restored (<see cref="Moments"/>, <see cref="RestoreMoments"/>).
/// </summary>
public sealed class AdamW : IDisposable
{
    private sealed record Slot(Tensor Master, Tensor M, Tensor V, bool OwnsMaster);

    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (float[] M, float[] V)> _restored = new(StringComparer.Ordinal);

    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Eps { get; init; } = 1e-8;

    /// <summary>Completed steps (bias correction uses Step after increment).</summary>
    public int Step { get; internal set; }

    /// <summary>
    /// Takes exact fp32 masters from host F32 parameters for a run on <paramref name="device"/>: call before
    /// <c>model.To(device)</c>, else the first update starts the master from the BF16 weights.
    /// </summary>
    public void TakeMasters(IEnumerable<(string Name, Tensor Param)> hostParameters, Device device)
    {
        if (device.IsCpu) return;
        foreach (var (name, p) in hostParameters)
            if (!_slots.ContainsKey(name))
                _slots[name] = TensorScope.Unscoped(() => NewSlot(name, p.To(device, DType.F32), ownsMaster: true));
    }

    /// <summary>One update of every (name, parameter, weight decay) whose gradient is set; gradients are multiplied by
    /// <paramref name="gradScale"/> first (a clip coefficient).</summary>
    public void Update(IEnumerable<(string Name, Tensor Param, double WeightDecay)> parameters, double lr, float gradScale = 1f)
    {
        Step++;
        var groups = new Dictionary<(double Wd, Device Device), List<AdamWSlot>>();
        foreach (var (name, p, wd) in parameters)
        {
            if (p.Grad is null) continue;
            var s = SlotOf(name, p);
            var key = (wd, p.Device);
            if (!groups.TryGetValue(key, out var list)) groups[key] = list = new List<AdamWSlot>();
            list.Add(new AdamWSlot(s.Master, s.M, s.V, p.Grad, s.OwnsMaster ? p : null));
        }
        foreach (var ((wd, _), slots) in groups)
            Ops.AdamW(slots, new AdamWStep(lr, Beta1, Beta2, Eps, wd, Step, gradScale));
    }

    private Slot SlotOf(string name, Tensor p)
    {
        if (_slots.TryGetValue(name, out var s)) return s;
        bool host = !p.IsOnDevice;
        if (host && p.DType != DType.F32) throw new MantisException($"AdamW: parameter {name} is {p.DType}; host parameters are F32");
        return _slots[name] = TensorScope.Unscoped(() => NewSlot(name, host ? p : p.To(p.Device, DType.F32), ownsMaster: !host));
    }

    private Slot NewSlot(string name, Tensor master, bool ownsMaster)
    {
        Tensor m, v;
        if (_restored.Remove(name, out var r))
        {
            if (r.M.Length != master.Numel) throw new MantisException($"AdamW: saved moments of {name} have {r.M.Length} values, the parameter {master.Numel}");
            m = Place(r.M, master);
            v = Place(r.V, master);
        }
        else
        {
            m = Tensor.ZerosOn(master.Device, master.Shape, DType.F32);
            v = Tensor.ZerosOn(master.Device, master.Shape, DType.F32);
        }
        return new Slot(master, m, v, ownsMaster);
    }

    private static Tensor Place(float[] values, Tensor like)
    {
        var host = Tensor.FromSpan(values, like.Shape);
        if (!like.IsOnDevice) return host;
        using (host) return host.To(like.Device, DType.F32);
    }

    /// <summary>The first and second moments of every parameter updated so far (host copies), by name.</summary>
    public IEnumerable<(string Name, float[] M, float[] V)> Moments()
    {
        foreach (var (name, s) in _slots) yield return (name, s.M.ToArray(), s.V.ToArray());
        foreach (var (name, (m, v)) in _restored) yield return (name, m, v);
    }

    /// <summary>Replaces all moments with saved ones; each is placed with its parameter on the next update.</summary>
    public void RestoreMoments(IEnumerable<(string Name, float[] M, float[] V)> moments)
    {
        ClearSlots();
        foreach (var (name, m, v) in moments) _restored[name] = (m, v);
    }

    /// <summary>The fp32 master weight of a parameter (for checks).</summary>
    public float[] Master(string name) => _slots.TryGetValue(name, out var s)
        ? s.Master.ToArray()
        : throw new MantisException($"AdamW: no state for parameter {name}");

    /// <summary>The fp32 master this optimizer keeps apart from the parameter (a GPU run's), or null (on the host the
    /// parameter is its own master; a parameter not updated yet has none).</summary>
    public float[]? SeparateMaster(string name) => _slots.TryGetValue(name, out var s) && s.OwnsMaster ? s.Master.ToArray() : null;

    private void ClearSlots()
    {
        foreach (var s in _slots.Values)
        {
            if (s.OwnsMaster) s.Master.Dispose();
            s.M.Dispose();
            s.V.Dispose();
        }
        _slots.Clear();
        _restored.Clear();
    }

    public void Dispose() => ClearSlots();
}
