using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Nn.Lora;

/// <summary>
/// A LoRA / DoRA adapter on one frozen Linear W₀ [out, in], with PEFT's forward:
/// LoRA  y = x W₀ᵀ + b + s · (drop(x) Aᵀ) Bᵀ;
/// DoRA  y = x W₀ᵀ + b + (g − 1) ⊙ (drop(x) W₀ᵀ) + g ⊙ s · (drop(x) Aᵀ) Bᵀ, g = m / ‖W₀ + s·B·A‖ (row norms, detached as
/// in PEFT, so the norm passes no gradient to A and B); without dropout drop(x) W₀ᵀ is x W₀ᵀ and is not recomputed.
/// A [r, in], B [out, r] and m [out] are fp32 trainable tensors owned here; W₀ (an fp32 tensor, or frozen in bf16 /
/// int8 / NF4: QLoRA, decoded inside the GEMM for y and for dX) and its bias are the module's, frozen.
/// Everything runs through <see cref="Ops"/>, so the tape differentiates it and any backend runs it.
/// </summary>
public sealed class LoraLayer : IDisposable
{
    private readonly LoraRuntime _runtime;

    public LoraLayer(string modulePath, int index, Tensor a, Tensor b, Tensor? magnitude, double scale, double dropout, LoraRuntime runtime)
    {
        if (a.Rank != 2 || b.Rank != 2 || a.Dim(0) != b.Dim(1))
            throw new ArgumentException($"{modulePath}: lora_A {a.Shape} and lora_B {b.Shape} are not [r, in] and [out, r]");
        if (magnitude is not null && (magnitude.Rank != 1 || magnitude.Dim(0) != b.Dim(0)))
            throw new ArgumentException($"{modulePath}: magnitude {magnitude.Shape} is not [{b.Dim(0)}]");
        ModulePath = modulePath;
        Index = index;
        A = a;
        B = b;
        Magnitude = magnitude;
        Scale = scale;
        DropoutRate = dropout;
        _runtime = runtime;
        A.RequiresGrad = B.RequiresGrad = true;
        if (Magnitude is not null) Magnitude.RequiresGrad = true;
    }

    /// <summary>Legacy Llava path of the adapted module ("language_model.model.layers.0.self_attn.q_proj").</summary>
    public string ModulePath { get; }
    /// <summary>Position among the model's adapters (keys the dropout masks).</summary>
    public int Index { get; }
    public Tensor A { get; }
    public Tensor B { get; }
    public Tensor? Magnitude { get; }
    public double Scale { get; }
    public double DropoutRate { get; }
    public int Rank => A.Dim(0);
    public int InFeatures => A.Dim(1);
    public int OutFeatures => B.Dim(0);
    public bool IsDora => Magnitude is not null;

    /// <summary>The adapted module's output for input x [..., in] (its weight, fp32 or frozen in any format, and its bias are the module's).</summary>
    public Tensor Forward(Tensor x, Linear module)
    {
        // only DoRA's weight norm needs ‖W₀[o]‖² (a read of the whole base weight to the host on a GPU, once)
        if (IsDora) _baseRowNorms2 ??= BaseRowNorms2(module);
        return Forward(x, module.BaseForward, module.Bias);
    }

    /// <summary>The same over a dense weight W₀ [out, in] (any device).</summary>
    public Tensor Forward(Tensor x, Tensor w, Tensor? bias)
    {
        if (IsDora) _baseRowNorms2 ??= DenseRowNorms2(w);
        return Forward(x, (v, withBias) => Ops.Linear(v, w, withBias ? bias : null), bias);
    }

    private double[]? _baseRowNorms2;

    // baseLinear(v, withBias) = v W₀ᵀ (+ b)
    private Tensor Forward(Tensor x, Func<Tensor, bool, Tensor> baseLinear, Tensor? bias)
    {
        var xd = _runtime.Dropout(x, DropoutRate, Index);
        var update = Ops.Scale(Ops.Linear(Ops.Linear(xd, A), B), (float)Scale);
        if (Magnitude is null) return Ops.Add(baseLinear(x, true), update);
        var xw = baseLinear(x, false);
        var dropW = ReferenceEquals(xd, x) ? xw : baseLinear(xd, false);
        var g = Ops.Mul(Magnitude, InverseRowNorms(baseLinear, Magnitude)); // gradient reaches m only
        var gMinus1 = Ops.Add(g, Constant(-1f, g));
        var y = Ops.Add(xw, Ops.Add(Ops.Mul(dropW, gMinus1), Ops.Mul(update, g)));
        return bias is null ? y : Ops.Add(y, bias);
    }

    /// <summary>‖W₀ + s·B·A‖ of each output row (no gradient): DoRA's weight norm, and its magnitude's initial value.</summary>
    /// <remarks>
    /// Expanded so that W₀ is never formed densely (it may be frozen as NF4): ‖W₀[o]‖² (computed once) + 2s·Σₖ B[o,k]·(A W₀ᵀ)[k,o]
    /// + s²·B[o]·(A Aᵀ)·B[o]ᵀ, the products in fp32 GEMMs (A W₀ᵀ through the module's own GEMM), summed in double.
    /// </remarks>
    public float[] RowNorms(Func<Tensor, bool, Tensor> baseLinear)
    {
        using var _ = Tape.NoGrad();
        using var scope = new TensorScope();
        var aw = baseLinear(A, false).ToArray();                 // [r, out]
        var aa = Ops.MatMul(A, A, transB: true).ToArray();       // [r, r]
        var b = B.ToArray();
        int r = Rank, outF = OutFeatures;
        var n = new float[outF];
        for (int o = 0; o < outF; o++)
        {
            double cross = 0, sq = 0;
            for (int k = 0; k < r; k++)
            {
                double bk = b[o * r + k];
                if (bk == 0) continue;
                cross += bk * aw[k * outF + o];
                double row = 0;
                for (int l = 0; l < r; l++) row += aa[k * r + l] * b[o * r + l];
                sq += bk * row;
            }
            n[o] = (float)Math.Sqrt(Math.Max(0, _baseRowNorms2![o] + 2 * Scale * cross + Scale * Scale * sq));
        }
        return n;
    }

    /// <summary>DoRA's initial magnitude (PEFT): the row norms of W₀ + s·B·A, with a fresh B = 0 those of W₀.</summary>
    public float[] InitialMagnitude(Linear module)
    {
        _baseRowNorms2 ??= BaseRowNorms2(module);
        return RowNorms(module.BaseForward);
    }

    // ‖W₀[o]‖² in double, from the dense tensor or row by row from the frozen format
    private static unsafe double[] BaseRowNorms2(Linear module)
    {
        if (module.Frozen is not { } frozen) return DenseRowNorms2(module.Weight);
        var n2 = new double[frozen.Rows];
        var row = new float[frozen.Cols];
        fixed (float* p = row)
            for (int o = 0; o < n2.Length; o++)
            {
                frozen.DecodeRow(o, 0, row.Length, p);
                n2[o] = SquaredNorm(row);
            }
        return n2;
    }

    private static double[] DenseRowNorms2(Tensor w)
    {
        int rows = w.Dim(0), cols = w.Dim(1);
        var host = w.ToArray();
        var n2 = new double[rows];
        for (int o = 0; o < rows; o++) n2[o] = SquaredNorm(host.AsSpan(o * cols, cols));
        return n2;
    }

    private static double SquaredNorm(ReadOnlySpan<float> row)
    {
        double s = 0;
        foreach (var v in row) s += (double)v * v;
        return s;
    }

    // 1 / ‖V‖ by rows; a zero row gives 0 (as the merge does: 0/0 has no direction)
    private Tensor InverseRowNorms(Func<Tensor, bool, Tensor> baseLinear, Tensor like)
    {
        var n = RowNorms(baseLinear);
        for (int i = 0; i < n.Length; i++) n[i] = n[i] > 0 ? 1f / n[i] : 0f;
        return Place(Tensor.FromSpan(n, new Shape(n.Length)), like);
    }

    private static Tensor Constant(float value, Tensor like, params int[] dims)
    {
        var t = Tensor.Full(new Shape(dims), value);
        return Place(t, like);
    }

    private static Tensor Place(Tensor host, Tensor like)
    {
        if (!like.IsOnDevice && like.DType == DType.F32) return host;
        var placed = host.To(like.Device, like.DType);
        host.Dispose();
        return placed;
    }

    /// <summary>Moves A, B and m to <paramref name="device"/> in its compute type (BF16 on a GPU: the fp32 masters are the
    /// optimizer's); the cached ‖W₀‖² is dropped, because the base moves too and is then read in that device's precision.</summary>
    public void MoveTo(Device device)
    {
        A.MoveTo(device);
        B.MoveTo(device);
        Magnitude?.MoveTo(device);
        A.RequiresGrad = B.RequiresGrad = true;
        if (Magnitude is not null) Magnitude.RequiresGrad = true;
        _baseRowNorms2 = null;
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
        Magnitude?.Dispose();
    }
}
