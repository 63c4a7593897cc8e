using MantisNative.Tensors;

namespace MantisNative.Diagnostics;

/// <summary>One random input of an op check: its shape, values offset + scale * N(0, 1), whether it gets a gradient.</summary>
internal sealed record OpInput(int[] Shape, float Scale = 1f, bool Grad = true, float Offset = 0f);

/// <summary>
/// One op under check: inputs, and the op as a function of input tensors — the same <c>Ops</c> call runs on the
/// reference (host F32) and on the target (its device), so the device dispatch itself is what is checked.
/// </summary>
internal sealed record OpCase(string Name, OpInput[] Inputs, Func<Tensor[], Tensor> Run)
{
    /// <summary>The forward result is an fp32 value on the target too (a loss, a sum): the 1e-5 class.</summary>
    public bool Fp32Output { get; init; }

    /// <summary>Overrides the class tolerance (attention's fp32-atomic gradients, as in `kernels check`).</summary>
    public double? ForwardTolerance { get; init; }
    public double? BackwardTolerance { get; init; }

    /// <summary>Runs the target side with another function (tests use it to plant a wrong op).</summary>
    public Func<Tensor[], Tensor>? TargetRun { get; init; }

    /// <summary>Forward floating-point operations (0: a memory-bound op, reported in GB/s instead of TFLOP/s).</summary>
    public long Flops { get; init; }

    public bool Backward { get; init; } = true;
}
