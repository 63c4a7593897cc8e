using System.Runtime.InteropServices;
using MantisNative.Autograd;
using MantisNative.Backends;
using MantisNative.Tensors;

namespace MantisNative.Training;

/// <summary>
/// AdamW with decoupled weight decay: the one optimizer, on every device. The arithmetic is the contract in
/// <see cref="AdamWStep"/> (torch.optim.AdamW's), run by the parameters' device as a primitive. fp32 master weights and
/// moments: on the host the F32 parameter is its own master; on a GPU the optimizer keeps an F32 master per BF16
/// parameter and rewrites the parameter from it. The moments are fp32, bf16 or 8-bit blockwise (<see cref="States"/>,
/// <see cref="MomentCodec"/>). They can be saved and restored exactly in their own format (<see cref="States"/> of a
/// checkpoint: <see cref="SavedStates"/>, <see cref="RestoreStates"/>), or as fp32 values (<see cref="Moments"/>,
/// <see cref="RestoreMoments"/>).
/// </summary>
public sealed class AdamW : IDisposable
{
    private sealed record Slot(Tensor Master, Tensor M, Tensor V, Tensor? MScale, Tensor? VScale, bool OwnsMaster, uint Stream)
    {
        public MomentFormat Format => new AdamWSlot(Master, M, V, Master, null).Format;
    }

    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MomentState> _restored = new(StringComparer.Ordinal);

    /// <summary>How the moments are kept (fp32 by default; see <see cref="MomentFormat"/>). Tensors under
    /// <see cref="MomentCodec.Min8BitElements"/> values keep fp32 moments under 8-bit.</summary>
    public MomentFormat States { get; init; } = MomentFormat.Fp32;

    /// <summary>Keys the stochastic rounding of bf16 moments (the run's seed).</summary>
    public uint Seed { get; init; }

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
            list.Add(new AdamWSlot(s.Master, s.M, s.V, p.Grad, s.OwnsMaster ? p : null, s.MScale, s.VScale, s.Stream));
        }
        foreach (var ((wd, _), slots) in groups)
            Ops.AdamW(slots, new AdamWStep(lr, Beta1, Beta2, Eps, wd, Step, gradScale, Seed));
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
        var format = MomentCodec.EffectiveFormat(States, master.Numel);
        var state = _restored.Remove(name, out var r) ? r : null;
        if (state is not null && state.Numel != master.Numel)
            throw new MantisException($"AdamW: saved moments of {name} have {state.Numel} values, the parameter {master.Numel}");
        if (state is not null && state.Format != format) state = state.Convert(format);
        uint stream = MomentCodec.StreamOf(name);
        var device = master.Device;
        Tensor Moment(byte[]? raw, DType dtype) => raw is null ? Tensor.ZerosOn(device, master.Shape, dtype) : Place(raw, dtype, master.Shape, device);
        Tensor? Scale(float[]? raw) => format != MomentFormat.Blockwise8Bit ? null
            : raw is null ? Tensor.ZerosOn(device, new Shape(checked((int)MomentCodec.Blocks(master.Numel))), DType.F32)
            : Place(MemoryMarshal.AsBytes(raw.AsSpan()).ToArray(), DType.F32, new Shape(raw.Length), device);
        var dt = format switch { MomentFormat.Fp32 => DType.F32, MomentFormat.Bf16 => DType.BF16, _ => DType.U8 };
        // 8-bit moments start with absmax 0: every code decodes to 0
        return new Slot(master, Moment(state?.M, dt), Moment(state?.V, dt), Scale(state?.MScale), Scale(state?.VScale), ownsMaster, stream);
    }

    private static Tensor Place(byte[] raw, DType dtype, Shape shape, Device device)
    {
        var host = Tensor.FromBytes(raw, dtype, shape);
        if (device.IsCpu) return host;
        using (host) return host.To(device, dtype);   // the dtype named: To(device) alone would make F32 the device's BF16
    }

    /// <summary>The first and second moments of every parameter updated so far, decoded to fp32 (host copies), by name.</summary>
    public IEnumerable<(string Name, float[] M, float[] V)> Moments()
    {
        foreach (var s in SavedStates())
        {
            var (m, v) = s.Decode();
            yield return (s.Name, m, v);
        }
    }

    /// <summary>Replaces all moments with saved fp32 ones; each is placed (in <see cref="States"/>) with its parameter on the next update.</summary>
    public void RestoreMoments(IEnumerable<(string Name, float[] M, float[] V)> moments) =>
        RestoreStates(moments.Select(e => MomentState.FromFp32(e.Name, e.M, e.V)));

    /// <summary>Every parameter's moments in their own format (host copies of the raw bits): what a checkpoint saves,
    /// so that a resume in the same format continues bit-equal.</summary>
    public IEnumerable<MomentState> SavedStates()
    {
        foreach (var (name, s) in _slots)
            yield return new MomentState(name, s.Format, s.Master.Numel, RawBytes(s.M), RawBytes(s.V),
                s.MScale?.ToArray(), s.VScale?.ToArray());
        foreach (var r in _restored.Values) yield return r;
    }

    private static byte[] RawBytes(Tensor t)
    {
        if (!t.IsOnDevice) return t.Bytes.ToArray();
        using var host = t.To(Device.Cpu, t.DType);   // the raw bits: To(Cpu) alone would widen BF16 to F32
        return host.Bytes.ToArray();
    }

    /// <summary>Replaces all moments with saved ones in any format; each is placed with its parameter on the next
    /// update, converted when the saved format is not <see cref="States"/> (<see cref="MomentState.Convert"/>).</summary>
    public void RestoreStates(IEnumerable<MomentState> states)
    {
        var list = states.ToList();   // read before the slots are cleared: the source may be this optimizer
        ClearSlots();
        foreach (var s in list) _restored[s.Name] = s;
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
            s.MScale?.Dispose();
            s.VScale?.Dispose();
        }
        _slots.Clear();
        _restored.Clear();
    }

    public void Dispose() => ClearSlots();
}
