using MantisNative.Tensors;

namespace MantisNative.Backends;

/// <summary>
/// The forward and backward primitives every device implements (the CPU engine and the CUDA backend). A primitive
/// computes and returns new tensors on its inputs' device; it never records anything: the op layer (Ops) checks
/// shapes, runs the forward primitive, and records one backward closure that calls the same device's backward
/// primitive. A new device means implementing this interface, nothing else. Inputs arrive validated (shapes agree,
/// all on this device). A backward primitive returns one gradient per input; null where the caller did not ask for
/// it. The caller owns (and disposes) every tensor returned.
/// </summary>
public interface IOpPrimitives :
    IElementwisePrimitives, IActivationPrimitives, INormPrimitives, IMatMulPrimitives,
    IAttentionPrimitives, IShapePrimitives, ILossPrimitives, IOptimizerPrimitives
{
}

/// <summary>A device backend whose devices run ops (what <c>Ops</c> asks <see cref="DeviceBackends"/> for).</summary>
public interface IComputeBackend : IDeviceBackend
{
    IOpPrimitives Primitives { get; }
}

/// <summary>Elementwise arithmetic; b broadcasts over a's leading dimensions as its trailing <c>inner</c> elements (1 = scalar).</summary>
public interface IElementwisePrimitives
{
    Tensor Add(Tensor a, Tensor b, long inner);

    /// <summary>g summed over its leading blocks into <paramref name="shape"/> (inner elements): the gradient of a broadcast addend or bias.</summary>
    Tensor SumLeading(Tensor g, Shape shape, long inner);

    Tensor Mul(Tensor a, Tensor b, long inner);

    /// <summary>Sums of g * a over the leading blocks into <paramref name="shape"/>: the gradient of a broadcast factor b.</summary>
    Tensor MulBackwardBroadcast(Tensor g, Tensor a, Shape shape, long inner);

    /// <summary>x * s (any floating dtype the device keeps; the gradient of Scale is Scale).</summary>
    Tensor Scale(Tensor x, float s);

    /// <summary>Sum of all elements as an F32 scalar.</summary>
    Tensor Sum(Tensor x);

    /// <summary>The scalar g repeated over <paramref name="like"/>'s shape (the gradient of Sum).</summary>
    Tensor SumBackward(Tensor g, Tensor like);
}

public interface IActivationPrimitives
{
    Tensor Gelu(Tensor x, GeluKind kind);
    Tensor GeluBackward(Tensor g, Tensor x, GeluKind kind);
    Tensor Silu(Tensor x);
    Tensor SiluBackward(Tensor g, Tensor x);

    /// <summary>silu(gate) * up.</summary>
    Tensor SwiGlu(Tensor gate, Tensor up);
    (Tensor? Gate, Tensor? Up) SwiGluBackward(Tensor g, Tensor gate, Tensor up, bool needGate, bool needUp);

    /// <summary>Softmax over the last dimension; its backward reads the output y.</summary>
    Tensor Softmax(Tensor x);
    Tensor SoftmaxBackward(Tensor g, Tensor y);
}

/// <summary>Norms over the last dimension; the forward returns the per-row F32 statistics the backward reads.</summary>
public interface INormPrimitives
{
    (Tensor Y, Tensor Rstd) RmsNormForward(Tensor x, Tensor weight, float eps);
    (Tensor? X, Tensor? Weight) RmsNormBackward(Tensor g, Tensor x, Tensor weight, Tensor rstd, bool needX, bool needWeight);

    (Tensor Y, Tensor Mean, Tensor Rstd) LayerNormForward(Tensor x, Tensor weight, Tensor? bias, float eps);
    (Tensor? X, Tensor? Weight, Tensor? Bias) LayerNormBackward(Tensor g, Tensor x, Tensor weight, Tensor? bias, Tensor mean, Tensor rstd,
        bool needX, bool needWeight, bool needBias);
}

/// <summary>
/// op(a) @ op(b) over the last two dimensions, row-major: a [..., m, k] ([..., k, m] when TransA), b batched like a
/// or one matrix shared by every batch item (Shared), ([n, k] when TransB).
/// </summary>
public readonly record struct MatMulGeometry(bool TransA, bool TransB, int M, int N, int K, long Batch, bool Shared, int Lda, int Ldb);

public interface IMatMulPrimitives
{
    Tensor MatMul(Tensor a, Tensor b, MatMulGeometry geo, Shape outShape);
    Tensor MatMulBackwardA(Tensor g, Tensor a, Tensor b, MatMulGeometry geo);
    Tensor MatMulBackwardB(Tensor g, Tensor a, Tensor b, MatMulGeometry geo);

    /// <summary>x [rows, in] @ w^T (w [out, in]) + bias.</summary>
    Tensor Linear(Tensor x, Tensor w, Tensor? bias, int rows, int inF, int outF);

    /// <summary>dx = g w.</summary>
    Tensor LinearBackwardInput(Tensor g, Tensor x, Tensor w, int rows, int inF, int outF);

    /// <summary>dw = g^T x.</summary>
    Tensor LinearBackwardWeight(Tensor g, Tensor x, Tensor w, int rows, int inF, int outF);

    /// <summary>Patches of stride p: pixels [N, C, H, W] to columns [N*(H/p)*(W/p), C*p*p] (the patch embedding's first half).</summary>
    Tensor Im2Col(Tensor pixels, int p);
    Tensor Im2ColBackward(Tensor g, Tensor pixels, int p);
}

/// <summary>
/// The shape of one scaled-dot-product attention: q [B, Hq, T, D], k and v [B, Hkv, S, D] (head-major), or with
/// <paramref name="TokenMajor"/> q [B, T, Hq, D], k and v [B, S, Hkv, D] (the projections' own layout, no permute);
/// the output and the gradients take their input's layout, the log-sum-exp is [B, Hq, T] in both. The queries are
/// the last T of the S key positions; causal: query i sees keys j &lt;= i + (S - T).
/// </summary>
public readonly record struct AttentionGeometry(int Batch, int Heads, int KvHeads, int QueryLen, int KeyLen, int HeadDim, bool Causal, float Scale,
    bool TokenMajor = false);

public interface IAttentionPrimitives
{
    /// <summary>The output in q's layout ([B, Hq, T, D], or [B, T, Hq, D] when geo.TokenMajor) and the F32 log-sum-exp
    /// [B, Hq, T] per query row. keyValid: U8 [B, S], 0 = padded key.</summary>
    (Tensor O, Tensor Lse) AttentionForward(Tensor q, Tensor k, Tensor v, Tensor? keyValid, AttentionGeometry geo);

    (Tensor? Q, Tensor? K, Tensor? V) AttentionBackward(Tensor g, Tensor q, Tensor k, Tensor v, Tensor o, Tensor lse, Tensor? keyValid,
        AttentionGeometry geo, bool needQ, bool needK, bool needV);

    /// <summary>Rotary embedding of x [tokens, heads, dim] with F32 tables cos, sin [rows, dim/2]: token t reads table row
    /// t % <paramref name="period"/> (period = tokens: a row per token; period = the sequence length of x [batch, seq,
    /// heads, dim]: a table by position within the sequence, shared by the batch, as a decoder's device-resident one).</summary>
    Tensor RopeForward(Tensor x, Tensor cos, Tensor sin, int period);

    /// <summary>The transposed rotation (the gradient of RopeForward).</summary>
    Tensor RopeBackward(Tensor g, Tensor cos, Tensor sin, int period);
}

/// <summary>Copies between layouts; they move 2- or 4-byte words, so they serve every floating dtype a device keeps.</summary>
public interface IShapePrimitives
{
    /// <summary>Output dimension k is input dimension perm[k].</summary>
    Tensor Permute(Tensor x, int[] perm);

    /// <summary>[start, start + length) of dimension dim; outer/inner: the element counts before and after it.</summary>
    Tensor Slice(Tensor x, int dim, int start, int length, long outer, long inner);

    /// <summary>The gradient of Slice: g placed into zeros of <paramref name="like"/>'s shape.</summary>
    Tensor SliceBackward(Tensor g, Tensor like, int dim, int start, int length, long outer, long inner);

    Tensor Concat(IReadOnlyList<Tensor> xs, int dim, int total, long outer, long inner);

    /// <summary>The part of g that belongs to the input at [start, start + like.Dim(dim)) of the concatenation.</summary>
    Tensor ConcatBackward(Tensor g, Tensor like, int dim, int start, int total, long outer, long inner);

    /// <summary>In place: src into dst at [dstStart, dstStart + src.Dim(dim)) of dst's dimension of size dstDim (no gradient).</summary>
    void WriteSlice(Tensor src, Tensor dst, int dstDim, int dstStart, long outer, long inner);

    /// <summary>Rows of x (dimension 0) picked by I32 <paramref name="index"/> (in range, on this device).</summary>
    Tensor IndexSelect(Tensor x, Tensor index);

    /// <summary>The scatter-add of g's rows into zeros of x's shape.</summary>
    Tensor IndexSelectBackward(Tensor g, Tensor x, Tensor index);
}

public interface ILossPrimitives
{
    /// <summary>
    /// Mean softmax cross-entropy of logits [rows, vocab] against I32 targets [rows], rows whose target is
    /// <paramref name="ignoreIndex"/> skipped; <paramref name="counted"/> rows count. Returns the F32 scalar loss and the
    /// per-row F32 log-sum-exp the backward reads.
    /// </summary>
    (Tensor Loss, Tensor Lse) CrossEntropyForward(Tensor logits, Tensor targets, int ignoreIndex, int counted);

    /// <summary>dlogits = (dloss / counted) (softmax - onehot) on counted rows, 0 elsewhere.</summary>
    Tensor CrossEntropyBackward(Tensor g, Tensor logits, Tensor targets, Tensor lse, int ignoreIndex, int counted);

    /// <summary>
    /// The LM head and the mean cross-entropy in one pass over row chunks (<see cref="LinearCrossEntropyGeometry"/>):
    /// for each chunk, logits = hidden[chunk] weight^T, the softmax cross-entropy and its gradient, then
    /// dHidden[chunk] = dlogits weight and dWeight += dlogits^T hidden[chunk] (fp32), so the [rows, vocab] logits and
    /// their gradient never exist beyond one chunk. The gradients are those of the mean loss for an upstream gradient
    /// of 1 (the op scales them); null where not asked for. Targets: I32 [rows], ignored ones -100.
    /// </summary>
    (Tensor Loss, Tensor? DHidden, Tensor? DWeight) LinearCrossEntropy(Tensor hidden, Tensor weight, Tensor targets, LinearCrossEntropyGeometry geo);
}

/// <summary>hidden [Rows, Dim] against weight [Vocab, Dim], ChunkRows rows at a time; Counted rows have a target.</summary>
public readonly record struct LinearCrossEntropyGeometry(int Rows, int Dim, int Vocab, int ChunkRows, int Counted, bool NeedHidden, bool NeedWeight)
{
    /// <summary>The one ignored target value the primitives know (the op layer maps others to it).</summary>
    public const int IgnoreIndex = -100;
}

/// <summary>
/// One AdamW step over a group of parameters that share a weight decay, arithmetic as torch.optim.AdamW (fp32 master
/// weights and moments): w *= 1 - lr wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
/// w -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps), with bc_i = 1 - b_i^step. Gradients are multiplied by
/// <see cref="AdamWStep.GradScale"/> first. <see cref="Seed"/> keys the stochastic rounding of bf16 moments
/// (<see cref="MomentCodec"/>).
/// </summary>
public readonly record struct AdamWStep(double Lr, double Beta1, double Beta2, double Eps, double WeightDecay, int Step, float GradScale = 1f, uint Seed = 0);

/// <summary>One parameter under AdamW: the F32 master weight, the moments, the gradient, and the copy the forward reads
/// (the master itself on the CPU; a BF16 copy on a GPU, rewritten from the master). The moments' dtype is their
/// <see cref="MomentFormat"/>: F32 (fp32), BF16 (stochastically rounded), U8 (8-bit blockwise codes, with the F32
/// absmax per block in <paramref name="MScale"/> and <paramref name="VScale"/>). <paramref name="Stream"/> keys the
/// parameter's stochastic rounding draws (<see cref="MomentCodec.StreamOf"/>).</summary>
public readonly record struct AdamWSlot(Tensor Master, Tensor M, Tensor V, Tensor Grad, Tensor? Copy, Tensor? MScale = null, Tensor? VScale = null, uint Stream = 0)
{
    public MomentFormat Format => M.DType switch
    {
        DType.F32 => MomentFormat.Fp32,
        DType.BF16 => MomentFormat.Bf16,
        DType.U8 => MomentFormat.Blockwise8Bit,
        _ => throw new MantisException($"AdamW: moments in {M.DType} are not a moment format (F32, BF16 or U8)"),
    };
}

public interface IOptimizerPrimitives
{
    void AdamW(IReadOnlyList<AdamWSlot> slots, AdamWStep step);

    /// <summary>
    /// The sum of squares of every element of <paramref name="grads"/> together (F32 or BF16, all on this device), as an
    /// F32 [1] tensor on the device: the square of the global gradient norm clipping needs. Deterministic: the same
    /// tensors give the same bits on every call (fixed-order partial sums, no float atomics).
    /// </summary>
    Tensor GradSquaredNorm(IReadOnlyList<Tensor> grads);
}
