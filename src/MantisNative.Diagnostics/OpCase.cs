using MantisNative.Tensors;

namespace MantisNative.Diagnostics;

/// <summary>One random input of an op check: its shape, values offset + scale * N(0, 1), whether it gets a gradient.</summary>
internal sealed record OpInput(int[] Shape, float Scale = 1f, bool Grad = true, float Offset = 0f);

/// <summary>
/// One op under check, the single entry every checker reads (docs/op-checks.md): inputs, the op as a function of
/// input tensors — the same <c>Ops</c> call runs on the reference (host F32, the CPU engine) and on the target (its
/// device), so the device dispatch itself is what is checked — and the tolerance per dtype of its forward and
/// backward. `mantis kernels check` launches the op's kernels directly on the case's inputs and compares them with
/// the same CPU reference and tolerances.
/// </summary>
internal sealed record OpCase(string Name, OpInput[] Inputs, Func<Tensor[], Tensor> Run)
{
    /// <summary>The forward's bound per dtype (<see cref="Tolerances"/>); an fp32-path row is read back unrounded.</summary>
    public Tolerance ForwardTolerance { get; init; } = Tolerances.Rounded;

    /// <summary>The bound of every input gradient.</summary>
    public Tolerance BackwardTolerance { get; init; } = Tolerances.Rounded;

    public bool Fp32Output => ForwardTolerance.Fp32Path;

    /// <summary>Runs the target side with another function (tests use it to plant a wrong op).</summary>
    public Func<Tensor[], Tensor>? TargetRun { get; init; }

    /// <summary>Forward floating-point operations (0: a memory-bound op, reported in GB/s instead of TFLOP/s).</summary>
    public long Flops { get; init; }

    public bool Backward { get; init; } = true;

    /// <summary>
    /// Forward + backward passes the target runs on the same inputs without clearing gradients (gradient accumulation
    /// over micro-batches, as a training step does): every input gradient must then be this many times the
    /// reference's. 1 for every case but the accumulation variants.
    /// </summary>
    public int MicroBatches { get; init; } = 1;
}
