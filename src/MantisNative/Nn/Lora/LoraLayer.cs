using MantisNative.Autograd;
using MantisNative.Tensors;

namespace MantisNative.Nn.Lora;

/// <summary>
/// A LoRA / DoRA adapter on one frozen Linear W₀ [out, in], with PEFT's forward:
/// LoRA  y = x W₀ᵀ + b + s · (drop(x) Aᵀ) Bᵀ;
/// DoRA  y = x W₀ᵀ + b + (g − 1) ⊙ (drop(x) W₀ᵀ) + g ⊙ s · (drop(x) Aᵀ) Bᵀ, g = m / ‖W₀ + s·B·A‖ (row norms, detached as
/// in PEFT, so the norm passes no gradient to A and B); without dropout drop(x) W₀ᵀ is x W₀ᵀ and is not recomputed.
/// A [r, in], B [out, r] and m [out] are fp32 trainable tensors owned here; W₀ and its bias are the module's, frozen.
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

    /// <summary>The adapted module's output for input x [..., in] (W₀ and bias are the frozen module's).</summary>
    public Tensor Forward(Tensor x, Tensor w, Tensor? bias)
    {
        var xd = _runtime.Dropout(x, DropoutRate, Index);
        var update = Ops.Scale(Ops.Linear(Ops.Linear(xd, A), B), (float)Scale);
        if (Magnitude is null) return Ops.Add(Ops.Linear(x, w, bias), update);
        var xw = Ops.Linear(x, w);
        var dropW = ReferenceEquals(xd, x) ? xw : Ops.Linear(xd, w);
        var g = Ops.Mul(Magnitude, InverseRowNorms(w)); // gradient reaches m only
        var gMinus1 = Ops.Add(g, Constant(-1f, g));
        var y = Ops.Add(xw, Ops.Add(Ops.Mul(dropW, gMinus1), Ops.Mul(update, g)));
        return bias is null ? y : Ops.Add(y, bias);
    }

    /// <summary>‖W₀ + s·B·A‖ of each output row (no gradient): DoRA's weight norm, and its magnitude's initial value.</summary>
    public static float[] RowNorms(Tensor w, Tensor a, Tensor b, double scale)
    {
        using var _ = Tape.NoGrad();
        using var scope = new TensorScope();
        var v = Ops.Add(w, Ops.Scale(Ops.MatMul(b, a), (float)scale));
        var ones = Constant(1f, v, v.Dim(1), 1);
        var sq = Ops.MatMul(Ops.Mul(v, v), ones).ToArray();
        var n = new float[sq.Length];
        for (int i = 0; i < n.Length; i++) n[i] = (float)Math.Sqrt(sq[i]);
        return n;
    }

    // 1 / ‖V‖ by rows; a zero row gives 0 (as the merge does: 0/0 has no direction)
    private Tensor InverseRowNorms(Tensor w)
    {
        var n = RowNorms(w, A, B, Scale);
        for (int i = 0; i < n.Length; i++) n[i] = n[i] > 0 ? 1f / n[i] : 0f;
        return Place(Tensor.FromSpan(n, new Shape(n.Length)), w);
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

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
        Magnitude?.Dispose();
    }
}
