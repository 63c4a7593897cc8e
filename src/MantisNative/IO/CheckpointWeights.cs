using MantisNative.Nn;
using MantisNative.Tensors;

namespace MantisNative.IO;

/// <summary>
/// Weights read from a checkpoint by Hugging Face name (legacy or transformers>=4.52 names), converted to F32,
/// shape-checked. Tensors the model does not use (e.g. SigLIP's pooling head) are remembered so that a save
/// writes them back unchanged.
/// </summary>
public sealed class CheckpointWeights : IWeightProvider
{
    private readonly ITensorSource _source;
    private readonly HashSet<string> _taken = new(StringComparer.Ordinal);

    public CheckpointWeights(ITensorSource source) => _source = source;

    public Tensor Get(string name, int[] shape, WeightRole role)
    {
        var info = Resolve(name, shape);
        var t = Tensor.Zeros(new Shape(shape));
        _source.ReadAsFloat32(name, t.Span);
        return t;
    }

    /// <summary>The checkpoint entry of a weight the model takes, checked (present, shape, float dtype) and marked as used.</summary>
    public TensorInfo Resolve(string name, int[] shape)
    {
        if (!_source.TryGetInfo(name, out var info))
            throw new MantisException($"{_source.Location}: the model needs tensor '{name}' {new Shape(shape)}, which the checkpoint does not have");
        if (info.Rank != shape.Length || !info.ShapeSpan.ToArray().Select(d => (int)d).SequenceEqual(shape))
            throw new MantisException($"{_source.Location}: tensor '{name}' has shape {info.ShapeString}, the config implies {new Shape(shape)}");
        if (!info.DType.IsFloatingPoint())
            throw new MantisException($"{_source.Location}: tensor '{name}' is stored as {info.DType}; weights must be a float type (F32, BF16, F16), not integers or booleans");
        _taken.Add(CheckpointNames.ToLegacy(name));
        return info;
    }

    /// <summary>The checkpoint's dtype of a tensor (what a save writes back).</summary>
    public DType DTypeOf(string name) => _source.TryGetInfo(name, out var info) ? info.DType : DType.F32;

    /// <summary>Names in the checkpoint that no module took.</summary>
    public IEnumerable<string> Unused => _source.Names.Where(n => !_taken.Contains(CheckpointNames.ToLegacy(n)));
}
