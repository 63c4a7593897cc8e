using MantisNative.Backends.Cpu.Quantized;
using MantisNative.Models;
using MantisNative.Nn;
using MantisNative.Tensors;

namespace MantisNative.IO.Quantization;

/// <summary>
/// Weights of a quantized folder for the fp32 engine: quantized ones dequantized row by row (SIMD) into fp32
/// tensors at load, the others read as from any checkpoint. This measures the quality of a format with today's
/// engine; using the codes in place inside GEMM/GEMV (<see cref="QuantizedGemv"/>, <see cref="QuantizedPacking"/>)
/// is the op layer's next step.
/// </summary>
public sealed class QuantizedWeights : IWeightProvider
{
    private readonly QuantizedCheckpoint _checkpoint;
    private readonly CheckpointWeights _plain;

    public QuantizedWeights(QuantizedCheckpoint checkpoint)
    {
        _checkpoint = checkpoint;
        _plain = new CheckpointWeights(checkpoint.Plain);
    }

    public Tensor Get(string name, int[] shape, WeightRole role)
    {
        if (!_checkpoint.IsQuantized(name)) return _plain.Get(name, shape, role);
        var e = _checkpoint.Entry(name);
        if (shape.Length != 2 || shape[0] != e.Rows || shape[1] != e.Cols)
            throw new MantisException($"{_checkpoint.Folder}: quantized tensor '{name}' is [{e.Rows}, {e.Cols}], the config implies {new Shape(shape)}");
        var m = _checkpoint.Matrix(name);
        var t = Tensor.Zeros(new Shape(shape));
        var span = t.Span;
        for (int r = 0; r < e.Rows; r++) QuantizedDequantize.Row(m, r, 0, e.Cols, span.Slice(r * e.Cols, e.Cols));
        return t;
    }

    /// <summary>The dtype a weight had before quantization (what a save of the loaded model writes).</summary>
    public DType DTypeOf(string name) => _checkpoint.IsQuantized(name) ? _checkpoint.Entry(name).OriginalDType : _plain.DTypeOf(name);

    /// <summary>Plain tensors no module took (quantized parts excluded).</summary>
    public IEnumerable<string> Unused => _plain.Unused.Where(n => !QuantizedCheckpoint.IsPart(n));

    /// <summary>Loads a quantized model folder into the fp32 engine (see the class summary).</summary>
    public static LoadedModel LoadModel(string folder)
    {
        var config = LlavaConfigFile.Load(folder);
        using var cp = QuantizedCheckpoint.Open(folder);
        var weights = new QuantizedWeights(cp);
        var model = new MantisModel(config, weights, weights.DTypeOf);
        var extras = weights.Unused.Select(n =>
        {
            var info = cp.Plain.GetInfo(n);
            return new PassthroughTensor(CheckpointNames.ToLegacy(n), info.DType, info.Shape, cp.Plain.GetBytes(n).ToArray());
        }).ToList();
        return new LoadedModel(model, extras, folder);
    }
}
