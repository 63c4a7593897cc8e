using MantisNative.Tensors;

namespace MantisNative.Diagnostics;

/// <summary>
/// The relative-L2 bound a checked result must meet, per dtype the target keeps activations in, with the reason.
/// <see cref="Fp32Path"/>: the result is computed and kept in fp32 even on a bf16/f16 device (a loss, a sum, a
/// statistic), so it is read back unrounded and its bound does not widen with the activation dtype.
/// </summary>
internal sealed record Tolerance(string Name, double Fp32, double Bf16, double F16, string Reason, bool Fp32Path = false)
{
    public double For(DType activations) => activations switch
    {
        DType.BF16 => Bf16,
        DType.F16 => F16,
        _ => Fp32,
    };
}

/// <summary>
/// The one table of check tolerances: op cases (CPU gradient checks, `mantis gpu-check`), kernel-level cases
/// (`mantis kernels check`), the optimizer and the fixture checks all pick a row from here, never a literal.
/// The per-element rounding of a dtype with p mantissa bits is 2^-(p+1): bf16 (p = 7) 3.9e-3, f16 (p = 10) 4.9e-4,
/// fp32 (p = 23) 6e-8; a relative L2 over many elements sits near that (the errors are independent), so each class
/// bound leaves a 2.5-4x margin over one or two roundings and still fails an op that is wrong by 1 %.
/// </summary>
internal static class Tolerances
{
    public static readonly Tolerance Rounded = new("rounded", 1e-5, 1e-2, 2e-3,
        "inputs and output rounded to the activation dtype once each (bf16 3.9e-3 per element, f16 4.9e-4); fp32 allows "
        + "the reordering of fp32 sums (GEMM blocking, SIMD lanes)");

    public static readonly Tolerance Fp32Result = new("fp32 result", 1e-5, 1e-5, 1e-5,
        "computed and kept in fp32 on every device (loss, sum, mean, log-sum-exp, grad norm): only the order of fp32 "
        + "additions differs, ~1e-7 relative over 10^4-10^6 terms", Fp32Path: true);

    public static readonly Tolerance Fp32Statistic = new("fp32 statistic", 1e-4, 1e-4, 1e-4,
        "a per-row log-sum-exp kept in fp32 by the kernel: an online (tiled) max and sum of exp over the row in another "
        + "order than the reference's, with the device's exp/log (a few ulps each); values near 0 make it relative to small numbers",
        Fp32Path: true);

    public static readonly Tolerance Fp32NormWeightGrad = new("fp32 norm weight grad", 1e-4, 1e-4, 1e-4,
        "fp32 sum over rows of dy x rstd with rstd from fp32 statistics of rounded inputs; terms of both signs cancel, "
        + "which multiplies the relative error of the sum by ~10", Fp32Path: true);

    public static readonly Tolerance AttentionGrad = new("attention grad", 1e-5, 2e-2, 5e-3,
        "dq/dk/dv accumulate in fp32 in tile order, but P is recomputed from rounded q/k and the backward reads the "
        + "rounded output o (delta = rowsum(dO o)), and dS = P (dP - delta) cancels: bf16 gives 4e-4 to 2e-3 on the "
        + "emulator at the checked shapes, so 2e-2 keeps a 10x margin for long rows; fp32 targets are held to the fp32 class");

    public static readonly Tolerance Exact = new("exact", 1e-7, 1e-7, 1e-7,
        "a copy, gather, scatter of distinct rows or exact-arithmetic op: any difference is a bug (1e-7 absorbs only "
        + "the double-precision norm of the comparison)", Fp32Path: true);

    public static readonly Tolerance Fp32ScatterAdd = new("fp32 scatter-add", 1e-6, 1e-6, 1e-6,
        "fp32 atomic adds of repeated rows in any order: a few ulps of the summed rows", Fp32Path: true);

    public static readonly Tolerance Fp32Master = new("fp32 master weight", 1e-6, 1e-6, 1e-6,
        "AdamW updates fp32 master weights in fp32 on every device; only sqrt/division rounding (a few ulps of "
        + "lr m / sqrt(v)) can differ", Fp32Path: true);

    public static readonly Tolerance Fp32MasterSteps = new("fp32 master weight, 3 steps", 1e-5, 1e-5, 1e-5,
        "three AdamW steps from the same start: the few-ulp differences of one step compound, and a v near 0 "
        + "amplifies them through 1 / (sqrt(v) + eps)", Fp32Path: true);

    public static readonly Tolerance ModelLogits = new("whole-model logits and loss", 1e-5, 2e-2, 5e-3,
        "a whole forward (tens of ops) against Hugging Face fp32 outputs: each op adds one rounding, so bf16 errors add "
        + "up to ~1e-2; f16 keeps 3 more bits");

    public static readonly Tolerance ModelGrads = new("whole-model gradients", 1e-4, 5e-2, 1e-2,
        "the backward of a whole model: the worst parameter's gradient sums rounded products over every token, with "
        + "cancellation; fp32 1e-4 for the reordered sums");

    /// <summary>bf16 AdamW moments (stochastic rounding) against fp32 ones: the total update of a 30-step run, relative L2
    /// (the same bound on every device: the states are bf16 wherever they live).</summary>
    public static readonly Tolerance Bf16MomentsVsFp32 = new("bf16 moments vs fp32 AdamW, 30-step update", 2e-2, 2e-2, 2e-2,
        "each stored moment is one stochastic bf16 rounding (error up to 1 ulp, 2^-7 relative, std about 2^-8); v keeps "
        + "about 1/(1 - b2) steps of them, m 1/(1 - b1); m / sqrt(v) of the update carries ~5e-3, x4 margin. Round-to-"
        + "nearest fails it: v stalls (0.999 v rounds to v)", Fp32Path: true);

    /// <summary>8-bit blockwise AdamW moments against fp32 ones: the total update of a 30-step run, relative L2.</summary>
    public static readonly Tolerance EightBitMomentsVsFp32 = new("8-bit moments vs fp32 AdamW, 30-step update", 1e-1, 1e-1, 1e-1,
        "the dynamic map's step near a typical |x| = absmax / 4 is 5.6 % of the value (64 entries over [0.1, 1] of the "
        + "block's absmax), a rounding of up to 2.8 % per stored moment and step, halved under sqrt for v; a wrong "
        + "formula (stale absmax, swapped maps, the quantized m in the update) is off by far more", Fp32Path: true);

    /// <summary>Every row, in the order the docs list them.</summary>
    public static readonly IReadOnlyList<Tolerance> All = new[]
    {
        Rounded, Fp32Result, Fp32Statistic, Fp32NormWeightGrad, AttentionGrad, Exact, Fp32ScatterAdd, Fp32Master, Fp32MasterSteps, Bf16MomentsVsFp32, EightBitMomentsVsFp32, ModelLogits, ModelGrads,
    };
}
