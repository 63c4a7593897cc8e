using MantisNative.Tensors;

namespace MantisNative.Nn;

/// <summary>One named parameter: the tensor, the part of the model it belongs to (a name the model chooses), the dtype it is saved as.</summary>
public sealed record Parameter(string Name, Tensor Tensor, string Part, DType SaveAs);

/// <summary>A weight matrix kept frozen in its own format (never trained, never an fp32 tensor): inference loads.</summary>
public sealed record FrozenParameter(string Name, FrozenMatrix Matrix, string Part, DType SaveAs);

/// <summary>
/// Every parameter of a model in creation order, taken from an <see cref="IWeightProvider"/>.
/// Remembers each weight's checkpoint dtype so that a save writes the same dtypes back.
/// </summary>
public sealed class ParameterStore : IDisposable
{
    private readonly List<Parameter> _list = new();
    private readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);
    private readonly List<FrozenParameter> _frozen = new();
    private readonly IWeightProvider _provider;
    private readonly Func<string, DType> _saveDtype;

    public ParameterStore(IWeightProvider provider, Func<string, DType> saveDtype)
    {
        _provider = provider;
        _saveDtype = saveDtype;
    }

    /// <summary>The model part that parameters created next belong to.</summary>
    public string CurrentPart { get; set; } = "";

    public IReadOnlyList<Parameter> All => _list;

    /// <summary>Matrices the provider handed out frozen (empty unless it is an <see cref="IFrozenWeightProvider"/> that froze some).</summary>
    public IReadOnlyList<FrozenParameter> Frozen => _frozen;

    /// <summary>
    /// A weight matrix [rows, cols]: frozen in its own format when the provider freezes it, else an fp32 parameter
    /// (exactly one of the two is non-null).
    /// </summary>
    public (Tensor? Dense, FrozenMatrix? Frozen) TakeMatrix(string name, WeightRole role, int rows, int cols)
    {
        if (_provider is IFrozenWeightProvider fp && fp.GetFrozen(name, rows, cols, role) is { } m)
        {
            if (_byName.ContainsKey(name) || _frozen.Any(f => f.Name == name)) throw new InvalidOperationException($"parameter {name} created twice");
            m.Name = name;
            _frozen.Add(new FrozenParameter(name, m, CurrentPart, _saveDtype(name)));
            return (null, m);
        }
        return (Take(name, role, rows, cols), null);
    }

    public Tensor Take(string name, WeightRole role, params int[] shape)
    {
        var t = _provider.Get(name, shape, role);
        t.Name = name;
        var p = new Parameter(name, t, CurrentPart, _saveDtype(name));
        if (!_byName.TryAdd(name, p)) throw new InvalidOperationException($"parameter {name} created twice");
        _list.Add(p);
        return t;
    }

    public Parameter this[string name] => _byName.TryGetValue(name, out var p) ? p : throw new KeyNotFoundException($"no parameter named {name}");
    public bool Contains(string name) => _byName.ContainsKey(name);

    public void Dispose()
    {
        foreach (var p in _list) p.Tensor.Dispose();
        foreach (var f in _frozen) f.Matrix.Dispose();
    }
}
